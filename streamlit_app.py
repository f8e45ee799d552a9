"""babylm's web app: `streamlit run streamlit_app.py` (or `make run`).

Only lays out the pages; each page is one function in babylm/app/ that wires widgets to the
core package. The Lessons, Train and Model pages are imported when first visited, and torch only when
a page needs it (babylm/app/warm.py): a fresh server's first Generate page is drawn from a
precomputed generation while torch loads in the background.
"""

import streamlit as st

from babylm.app import generate_page, session, warm


def train() -> None:
    warm.torch_ready()
    from babylm.app import train_page

    train_page.page()


def lessons() -> None:
    warm.torch_ready()
    from babylm.app import lessons_page

    lessons_page.page()


def model() -> None:
    warm.torch_ready()
    from babylm.app import model_page

    model_page.page()


def memory() -> None:
    warm.torch_ready()
    from babylm.app import memory_page

    memory_page.page()


st.set_page_config(page_title="babylm · watch an LSTM remember", page_icon="🍼", layout="wide")
# Projector first: no empty band above the title, so the player fits a 1280x720 screen.
st.html("<style>[data-testid='stMainBlockContainer'] { padding-top: 3.6rem; padding-bottom: 1rem; }"
        "[data-testid='stSidebarUserContent'] { padding-top: 0.5rem; }"
        # A link's label wraps on a phone instead of being cut off mid-sentence.
        "[data-testid='stPageLink'] a, [data-testid='stPageLink'] a * { white-space: normal; height: auto; }</style>")
# A training run that the click which started this run interrupted stores its model first
# (babylm/app/session.py), so that whichever page is drawn next already uses it.
session.get()
pages = st.navigation(
    [
        st.Page(generate_page.page, title="Generate", icon=":material/edit:", url_path="generate", default=True),
        st.Page(lessons, title="Lessons", icon=":material/cookie:", url_path="lessons"),
        st.Page(train, title="Train", icon=":material/fitness_center:", url_path="train"),
        st.Page(model, title="Model", icon=":material/psychology:", url_path="model"),
        st.Page(memory, title="Memory", icon=":material/history:", url_path="memory"),
    ],
    position="top",
)
st.session_state.setdefault("landing_page", pages.title)  # where this session arrived (the opening plays there only)
pages.run()
