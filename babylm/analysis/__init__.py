"""Looking inside a trained model: which units keep two prompts apart (`contrast`), which past
characters a prediction leans on (`saliency`), and what simple property of the text a unit
follows (`units`). Each takes the model and its vocabulary and returns plain NumPy or tuples;
none imports streamlit or the `BabyLanguageModel` facade."""

from .contrast import contrast
from .saliency import MAX_SALIENCY_TEXT, saliency
from .units import (PROPERTIES, UnitProperties, UnitReading, read_unit, text_properties,
                    unit_properties)

__all__ = [
    "MAX_SALIENCY_TEXT", "PROPERTIES", "UnitProperties", "UnitReading", "contrast", "read_unit",
    "saliency", "text_properties", "unit_properties",
]
