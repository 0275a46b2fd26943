import './setup_node';
import './specs';
