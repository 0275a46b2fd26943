import './setup_browser';
import './specs';
