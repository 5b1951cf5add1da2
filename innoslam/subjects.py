"""Subjects of research profiles: two talks on one subject don't share a programme."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.embedding import same_subject_cosine

#: Research profiles whose mean vectors are as similar as the model's same-subject cosine
#: (index.embedding.same_subject_cosine), or that share this many of their most distinctive
#: terms, talk about the same subject.
SAME_SUBJECT_TERMS = 3
SUBJECT_TERMS = 8


@dataclass
class Subject:
    """What a research profile talks about: its mean vector and most distinctive terms."""
    vector: np.ndarray
    terms: set[str]
    threshold: float = 0.80    # cosine from which two subjects are the same (model-dependent)


def subject_of(radar, profile_id: str) -> Subject:
    passages = radar.store.passages_for(profile_id)
    vector = np.mean([p["vector"] for p in passages], axis=0) if passages else np.zeros(1)
    norm = float(np.linalg.norm(vector)) or 1.0
    row = radar.index.profiles.row_of.get(profile_id)
    terms = set(radar.index.lexical.profile_terms(row, top=SUBJECT_TERMS)) if row is not None else set()
    return Subject(vector / norm, terms, same_subject_cosine(radar.settings.model))


def same_subject(a: Subject, b: Subject) -> bool:
    if a.vector.shape == b.vector.shape and float(a.vector @ b.vector) >= max(a.threshold, b.threshold):
        return True
    return len(a.terms & b.terms) >= SAME_SUBJECT_TERMS
