from shared.contracts.capacity import Compliance as Compliance
from shared.contracts.capacity import TrackRecord as TrackRecord
