"""PAR101 shapes: sequential independent awaits (and dependent ones that must stay)."""

import asyncio

from fakeio import fetch_orders, fetch_pair, fetch_prefs, fetch_user, load_page, ping


async def case_two_values():
    user = await fetch_user(1)
    prefs = await fetch_prefs(1)
    return user, prefs


async def case_bare_await_member():
    await ping("db")
    page = await load_page("/")
    return page


class Profile:
    async def load(self, user_id):
        self.user = await fetch_user(user_id)
        self.prefs = await fetch_prefs(user_id)
        return self


async def case_attribute_targets():
    profile = await Profile().load(3)
    return profile.user, profile.prefs


async def case_subscript_targets():
    data = {}
    data["user"] = await fetch_user(4)
    data["prefs"] = await fetch_prefs(4)
    return data


async def case_annotated_targets():
    user: str = await fetch_user(5)
    prefs: str = await fetch_prefs(5)
    return user + prefs


async def case_tuple_target():
    left, right = await fetch_pair(1)
    prefs = await fetch_prefs(1)
    return left, right, prefs


async def case_later_stage_follows():
    user = await fetch_user(6)
    note = "orders of " + user  # synchronous, reads the first result: moves after the gather
    prefs = await fetch_prefs(6)
    home = await load_page("/home")
    orders = await fetch_orders(user)  # depends on `user`: a later stage
    return note, prefs, home, orders


async def case_wide_group_bounded():
    # Five independent calls with max-concurrency 3: two gathers (3 + 2).
    a = await fetch_user(11)
    b = await fetch_user(12)
    c = await fetch_user(13)
    d = await fetch_user(14)
    e = await fetch_user(15)
    return [a, b, c, d, e]


async def dependent_chain():
    user = await fetch_user(21)
    orders = await fetch_orders(user)
    return orders


async def dependent_chain_through_sync_work():
    user = await fetch_user(22)
    key = user.upper()
    orders = await fetch_orders(key)
    return orders
