"""The channel layer delivers a file's messages to a group in one go, in order."""

from __future__ import annotations

import pytest

from frgm_site.channel_layers import FeedChannelLayer

pytestmark = pytest.mark.asyncio


def layer_on(stack, **config) -> FeedChannelLayer:
    return FeedChannelLayer(hosts=[stack.messaging_url], **config)


async def test_every_member_receives_every_message_in_send_order(stack):
    layer = layer_on(stack)
    members = [await layer.new_channel() for _ in range(2)]
    for member in members:
        await layer.group_add("feed.spot-risk", member)
    sent = [{"type": "feed.update", "group": f"EXP{n}", "seq": n} for n in range(12)]
    assert await layer.group_send_many("feed.spot-risk", sent) == 0
    for member in members:
        received = [await layer.receive(member) for _ in sent]
        assert [m["group"] for m in received] == [m["group"] for m in sent]
    await layer.flush()


async def test_a_channel_over_capacity_loses_what_does_not_fit_and_says_so(stack):
    layer = layer_on(stack, capacity=3)
    member = await layer.new_channel()
    await layer.group_add("feed.tt-orders", member)
    sent = [{"type": "feed.update", "seq": n} for n in range(5)]
    assert await layer.group_send_many("feed.tt-orders", sent) == 2
    assert [(await layer.receive(member))["seq"] for _ in range(3)] == [0, 1, 2]
    await layer.flush()


async def test_a_group_without_members_costs_nothing_and_fails_nothing(stack):
    layer = layer_on(stack)
    assert await layer.group_send_many("feed.vtexp", [{"type": "feed.update"}]) == 0
    await layer.flush()
