from accounts.consumers import RoleGatedConsumer
from accounts.roles import Role


class LadderConsumer(RoleGatedConsumer):
    required_role = Role.TRADER
