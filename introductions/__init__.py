"""Introductions ("Kontakt anbahnen"): a member or manager asks, the responsible innovation
manager introduces both sides, each side accepts or declines through a signed link, and the
outcome (a cooperation, a refusal, silence) is recorded and fed back into the ranking."""
