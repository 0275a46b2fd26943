import './setup_browser';
import './specs';
import './browser/save_browser.spec';
