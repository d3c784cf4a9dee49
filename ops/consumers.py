from accounts.consumers import RoleGatedConsumer
from accounts.roles import Role


class OpsConsumer(RoleGatedConsumer):
    required_role = Role.ONCALL
