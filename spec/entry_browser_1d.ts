import './setup_browser';
import './specs_1d';
