"""Train page (placeholder until written)."""
import streamlit as st
def page():
    st.title("Train")
