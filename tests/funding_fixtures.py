"""The invented funding exports in tests/fixtures and the organisation ids they yield."""
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
EFRE = FIXTURES / "efre_sample.csv"
PTDESY = FIXTURES / "ptdesy_sample.tsv"

SENSOR = "efre:muster-sensorik-gmbh"
TU = "efre:technische-universitaet-musterstadt"
BEISPIEL = "efre:beispiel-produktionstechnik-gmbh"
FRAUNHOFER = "efre:fraunhofer-gesellschaft-zur-foerderung-der-angewandten-forschung-e-v"
LONER = "efre:einzelkaempfer-werkzeugbau-gmbh"
