"""The VPC: two AZs, public subnets for the ALB and NAT, private ones for tasks and
data; a security group per role."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from deploy.cdk.environments import EnvironmentProps

WEB_PORT = 8000  # the container's uvicorn port (Dockerfile)
REDIS_PORT = 6379
POSTGRES_PORT = 5432


class Network(Construct):
    """S3 and DynamoDB through free gateway endpoints (the bulk of the traffic: every
    feed file and history item). No interface endpoints: at our volumes each one
    ($7.30 a month per AZ) costs more than the NAT traffic it would save (the
    cost model, docs/COST.md). NAT stays because the tasks call Slack and TT."""

    def __init__(self, scope: Construct, construct_id: str, *, props: EnvironmentProps) -> None:
        super().__init__(scope, construct_id)
        self.nat_instances: ec2.NatInstanceProviderV2 | None = None
        if props.nat_instance_type:
            self.nat_instances = ec2.NatProvider.instance_v2(
                instance_type=ec2.InstanceType(props.nat_instance_type),
                machine_image=ec2.MachineImage.latest_amazon_linux2023(
                    cpu_type=ec2.AmazonLinuxCpuType.ARM_64  # an SSM parameter: no lookup
                ),
                associate_public_ip_address=True,
                default_allowed_traffic=ec2.NatTrafficDirection.OUTBOUND_ONLY,
            )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            vpc_name=f"frgm-{props.name}",
            ip_addresses=ec2.IpAddresses.cidr(props.cidr),
            availability_zones=list(props.availability_zones),
            nat_gateways=props.nat_gateways,
            nat_gateway_provider=self.nat_instances,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24
                ),
                ec2.SubnetConfiguration(
                    name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22
                ),
            ],
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
                "DynamoDB": ec2.GatewayVpcEndpointOptions(
                    service=ec2.GatewayVpcEndpointAwsService.DYNAMODB
                ),
            },
            restrict_default_security_group=False,  # a custom resource; nothing uses it
        )
        if self.nat_instances:  # only the VPC's own traffic goes out through them
            self.nat_instances.connections.allow_from(
                ec2.Peer.ipv4(props.cidr), ec2.Port.all_traffic(), "the VPC's egress"
            )
            for subnet in self.vpc.public_subnets:
                instance = subnet.node.try_find_child("NatInstance")
                if isinstance(instance, ec2.Instance):
                    cfn = instance.instance
                    cfn.add_property_override(
                        "BlockDeviceMappings",
                        [
                            {
                                "DeviceName": "/dev/xvda",
                                "Ebs": {"Encrypted": True, "VolumeType": "gp3", "VolumeSize": 8},
                            }
                        ],
                    )
        self.private_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        self.alb_group = ec2.SecurityGroup(
            self,
            "Alb",
            vpc=self.vpc,
            description="frgm web ALB: HTTPS and the HTTP redirect from the internet",
            allow_all_outbound=False,
        )
        for port in (443, 80):
            self.alb_group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(port), "the portal")
        self.app_group = ec2.SecurityGroup(
            self,
            "App",
            vpc=self.vpc,
            description="frgm web, worker and scheduler tasks",
            allow_all_outbound=True,  # AWS APIs, Slack and TT through NAT
        )
        self.app_group.add_ingress_rule(
            self.alb_group, ec2.Port.tcp(WEB_PORT), "the ALB to the web tasks"
        )
        self.alb_group.add_egress_rule(
            self.app_group, ec2.Port.tcp(WEB_PORT), "the ALB to the web tasks"
        )
        self.data_group = ec2.SecurityGroup(
            self,
            "Data",
            vpc=self.vpc,
            description="frgm MemoryDB, ElastiCache and RDS: reached from the app only",
            allow_all_outbound=False,
        )
        for port, what in ((REDIS_PORT, "Redis"), (POSTGRES_PORT, "PostgreSQL")):
            self.data_group.add_ingress_rule(self.app_group, ec2.Port.tcp(port), what)

    @property
    def trusted_proxies(self) -> str:
        """The ALB's subnets, the only senders whose X-Forwarded-For the web believes."""
        return ",".join(subnet.ipv4_cidr_block for subnet in self.vpc.public_subnets)
