"""What a funding export becomes: projects, each organisation's part in them, the dataset."""
from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field

from ingest.funding.joining import _join_sentences
from ingest.schema import MAX_FIELD_CHARS

@dataclass
class Project:
    """One funded project; a joint project has several participating organisations."""
    id: str
    title: str      # the cleaned topic
    text: str       # what the (first listed) organisation did in it
    source: str     # 'efre' | 'ptdesy'
    joint: bool     # True only for real joint projects (Verbund)


@dataclass
class Part:
    """What one organisation did in one project (partners of a Verbund differ)."""
    sentence: str   # goes into the organisation's profile description
    text: str       # same meaning as Project.text, for this organisation's own rows


@dataclass
class FundingOrg:
    profile: dict        # raw record for validate_record()
    projects: list[str]  # ids of the projects it took part in, in order of appearance


@dataclass
class FundingDataset:
    name: str
    orgs: dict[str, FundingOrg]
    projects: dict[str, Project]
    participants: dict[str, list[str]]  # project id -> org ids, order of first appearance
    #: (org id, project id) -> that organisation's own part; lets an evaluation
    #: rebuild a description without the project it holds out (see ``description``).
    parts: dict[tuple[str, str], Part] = field(default_factory=dict)
    #: Data rows of the export (header not counted): several rows make one organisation.
    source_rows: int = 0

    def joint_projects(self, min_partners: int = 2) -> list[Project]:
        return [p for p in self.projects.values()
                if p.joint and len(self.participants.get(p.id, ())) >= min_partners]

    def cooperations(self) -> list[tuple[str, str, str]]:
        """Every pair of partners of a joint project: (org_a, org_b, project_id), org_a < org_b."""
        pairs = []
        for project in self.joint_projects():
            for a, b in itertools.combinations(sorted(self.participants[project.id]), 2):
                pairs.append((a, b, project.id))
        return pairs

    def description(self, org_id: str, exclude=()) -> str:
        """The org's profile text from its projects, optionally leaving some projects out."""
        skip = set(exclude)
        sentences = [self.parts[(org_id, pid)].sentence
                     for pid in self.orgs[org_id].projects if pid not in skip]
        return _join_sentences(sentences, MAX_FIELD_CHARS["description"])

    def stats(self) -> dict:
        joint = self.joint_projects(min_partners=1)
        multi = self.joint_projects()
        pairs = self.cooperations()
        partners = {org for p in multi for org in self.participants[p.id]}
        return {
            "orgs": len(self.orgs),
            "projects": len(self.projects),
            "joint_projects": len(joint),
            "joint_projects_2plus": len(multi),
            "partners_per_joint_2plus": round(
                sum(len(self.participants[p.id]) for p in multi) / max(len(multi), 1), 2),
            "cooperation_pairs": len(pairs),
            "distinct_org_pairs": len({(a, b) for a, b, _ in pairs}),
            "orgs_in_joint_2plus": len(partners),
            "kinds": dict(Counter(o.profile["kind"] for o in self.orgs.values())),
        }
