from shared.contracts.referrals import QueueItem as QueueItem
