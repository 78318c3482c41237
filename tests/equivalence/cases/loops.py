"""PAR102 shapes: loops and comprehensions of independent awaits (and carried ones)."""

from fakeio import fetch_user, get_price, load_page, ping

ITEMS = list(range(9))
SKEWED = ["slow-a", 1, 2, 3, "slow-b", 4, 5, 6, 7]


async def case_append():
    prices = []
    for item in ITEMS:
        prices.append(await get_price(item))
    return prices


async def case_append_to_unknown_sink():
    prices = make_sink()
    for item in ITEMS:
        prices.append(await get_price(item))
    return prices


def make_sink():
    return []


async def case_setitem():
    pages = {}
    for i in ITEMS:
        pages[f"/p{i}"] = await load_page(f"/p{i}")
    return pages


async def case_bare_await():
    for host in ["a", "b", "c", "d", "e", "f"]:
        await ping(host)
    return "pinged"


async def case_target_used_after_loop():
    for host in ["a", "b", "c", "d", "e", "f"]:
        await ping(host)
    return host


async def case_assign_then_sync_work():
    names = []
    total = 0
    for uid in ITEMS:
        user = await fetch_user(uid)
        names.append(user.upper())
        total += len(user)
    return names, total


async def case_prefix_and_tuple_target():
    out = []
    for index, slug in enumerate(["x", "y", "z", "w", "v", "u"]):
        url = f"/{index}/{slug}"
        page = await load_page(url)
        out.append((url, page))
    return out, url


async def case_loop_else():
    seen = []
    for item in ITEMS:
        price = await get_price(item)
        seen.append(price)
    else:
        seen.append("done")
    return seen


async def case_skewed_latencies():
    return [await get_price(item) for item in SKEWED]


async def case_list_comprehension_with_filter():
    return [await get_price(i) for i in range(12) if i % 2 == 0]


async def case_dict_comprehension():
    return {i: await get_price(i) for i in ITEMS}


async def case_set_comprehension():
    found = {await fetch_user(i % 6) for i in range(12)}
    return sorted(found)


async def dependent_carried_value():
    page = "start"
    for _ in range(4):
        page = await load_page(page)
    return page
