"""PAR201 shapes: unbounded fan-outs over data that the fix bounds (slower, by design)."""

import asyncio

from fakeio import fetch_user, get_price

SKUS = [f"sku-{i}" for i in range(12)]


async def bounded_gather_over_comprehension(skus=SKUS):
    return await asyncio.gather(*[get_price(sku) for sku in skus])


async def bounded_gather_over_generator(skus=SKUS):
    prices = await asyncio.gather(*(get_price(sku) for sku in skus))
    return dict(zip(skus, prices))


async def bounded_gather_over_map(ids=tuple(range(12))):
    return await asyncio.gather(*map(fetch_user, ids))
