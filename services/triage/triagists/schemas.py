from shared.contracts.referrals import Colleague as Colleague
from shared.contracts.referrals import Colleagues as Colleagues
