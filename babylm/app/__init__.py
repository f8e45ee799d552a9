"""The Streamlit app's pages and widgets. Only this subpackage (and streamlit_app.py) imports
streamlit; everything it shows is computed by the core package."""
