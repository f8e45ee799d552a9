"""babylm's web app: `streamlit run streamlit_app.py` (or `make run`).

Only lays out the pages; each page is one function in babylm/app/ that wires widgets to the
core package."""

import streamlit as st
import torch

from babylm.app import generate_page, model_page, train_page

# Every session of the class shares this server's cores. The model is small, so one thread per
# computation is nearly as fast as two, and two sessions' thread pools no longer spin against
# each other (on a busy 2-core machine that made single steps many times slower).
torch.set_num_threads(1)

st.set_page_config(page_title="babylm · watch an LSTM remember", page_icon="🍼", layout="wide")
# Projector first: no empty band above the title, so the player fits a 1280x720 screen.
st.html("<style>[data-testid='stMainBlockContainer'] { padding-top: 3.6rem; padding-bottom: 1rem; }"
        "[data-testid='stSidebarUserContent'] { padding-top: 0.5rem; }</style>")
st.navigation(
    [
        st.Page(generate_page.page, title="Generate", icon="✍️", url_path="generate", default=True),
        st.Page(train_page.page, title="Train", icon="🏋️", url_path="train"),
        st.Page(model_page.page, title="Model", icon="🧠", url_path="model"),
    ],
    position="top",
).run()
