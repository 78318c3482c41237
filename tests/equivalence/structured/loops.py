"""More PAR102 shapes, run with cases/loops.py under trio and anyio (the test prepends the
framework's import: the rewrite must use the framework the module imports)."""

from fakeio import fetch_user, get_price

SKEWED = ["slow-a", 1, 2, 3, "slow-b", 4, 5, 6, 7]


async def case_skewed_append():
    # The slow items finish last: results must still come back in the items' order.
    prices = []
    for item in SKEWED:
        prices.append(await get_price(item))
    return prices


async def case_dict_comprehension_with_filter():
    return {i: await get_price(i) for i in range(12) if i % 2 == 0}


async def case_set_comprehension_of_tuple_targets():
    found = {await fetch_user(a + b) for a, b in zip(range(6), range(6, 12))}
    return sorted(found)


async def case_comprehension_variable_stays_private():
    item = "outer"
    prices = [await get_price(item) for item in SKEWED]
    return prices, item


async def edge_no_items():
    prices = []
    for item in []:
        prices.append(await get_price(item))
    return prices
