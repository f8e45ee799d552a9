"""babylm's web app: `streamlit run streamlit_app.py` (or `make run`).

Only lays out the pages; each page is one function in babylm/app/ that wires widgets to the
core package."""

import streamlit as st

from babylm.app import generate_page, model_page, train_page

st.set_page_config(page_title="babylm · watch an LSTM remember", page_icon="🍼", layout="wide")
st.navigation(
    [
        st.Page(generate_page.page, title="Generate", icon="✍️", url_path="generate", default=True),
        st.Page(train_page.page, title="Train", icon="🏋️", url_path="train"),
        st.Page(model_page.page, title="Model", icon="🧠", url_path="model"),
    ],
    position="top",
).run()
