from shared.contracts.stats import PlacementTimes as PlacementTimes
from shared.contracts.stats import Stats as Stats
from shared.contracts.stats import UnmetDemand as UnmetDemand
from shared.contracts.stats import UnmetGroup as UnmetGroup
from shared.contracts.stats import WrongBedDays as WrongBedDays
from shared.contracts.stats import WrongBedGroup as WrongBedGroup
