"""PAR102: writes to the children of one parent keep their order (iterations.py,
`parent_writes_reasons`); reads of siblings, and writes of items that share no parent the
call is addressed through, stay independent."""

import textwrap

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from parlint.analysis.provider import analyse_module
from parlint.cli.explain import explain_source


def loop_reasons(code: str) -> list[tuple[str, str]]:
    """(kind, detail) of the reasons of the only loop of the last async function in `code`."""
    wrapper = MetadataWrapper(cst.parse_module(textwrap.dedent(code)))
    positions = wrapper.resolve(PositionProvider)
    (loop,) = analyse_module(wrapper.module, None, positions)[-1].loops
    return [(r.kind, r.detail) for r in loop.reasons]


@pytest.mark.parametrize(
    "code, detail",
    [
        pytest.param(
            """
            async def clear(client, deployment):
                for schedule in deployment.schedules:
                    await client.delete_schedule(deployment.id, schedule.id)
            """,
            "client.delete_schedule` through `deployment.id",
            id="attribute-of-the-parent-and-its-id",
        ),
        pytest.param(
            """
            async def tag(api, ticket):
                for label in ticket.pending_labels:
                    await api.add_label(ticket, label)
            """,
            "api.add_label` through `ticket",
            id="the-parent-itself-passed",
        ),
        pytest.param(
            """
            async def archive(api, board):
                for card in board.cards.values():
                    await api.update_card(board_id=board.id, card_id=card.id, archived=True)
            """,
            "api.update_card` through `board.id",
            id="a-dict-view-and-keywords",
        ),
        pytest.param(
            """
            class Board:
                async def close(self, api):
                    for card in list(self.board.cards):
                        await api.remove_card(self.board.id, card.id)
            """,
            "api.remove_card` through `self.board.id",
            id="a-copy-of-a-field-of-self",
        ),
        pytest.param(
            """
            async def purge(client, channel):
                messages = await client.list_messages(channel.id, limit=100)
                for message in messages:
                    await client.delete_message(channel.id, message.id)
            """,
            "client.delete_message` through `channel.id",
            id="a-list-read-for-the-parent",
        ),
        pytest.param(
            """
            async def kick_all(client, guild_id):
                for member in await client.get_members(guild_id):
                    await client.remove_member(guild_id, member.id)
            """,
            "client.remove_member` through `guild_id",
            id="the-read-is-the-iterable",
        ),
        # Children read for one parent, written by their own id.
        pytest.param(
            """
            async def delete_versions(client, key):
                versions = await client.read_artifacts(key=key)
                for version in versions:
                    await client.delete_artifact(version.id)
            """,
            "client.delete_artifact` through `key",
            id="children-read-for-one-key",
        ),
        pytest.param(
            """
            async def purge(client, channel):
                for message in await client.list_messages(channel.id):
                    await client.delete_message(message.id)
            """,
            "client.delete_message` through `channel.id",
            id="children-listed-in-the-loop-header",
        ),
    ],
)
def test_writes_of_one_parents_children_keep_their_order(code, detail):
    assert ("parent-writes", detail) in loop_reasons(code)


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(
            """
            async def schedules(client, deployment):
                out = []
                for schedule in deployment.schedules:
                    out.append(await client.read_schedule(deployment.id, schedule.id))
                return out
            """,
            id="reads-of-siblings",
        ),
        pytest.param(
            """
            async def delete_all(client):
                while page := await client.read_deployments():
                    for deployment in page:
                        await client.delete_deployment(deployment.id)
            """,
            id="a-page-read-for-no-parent",
        ),
        pytest.param(
            """
            async def disable(client, user_ids, reason):
                for user_id in user_ids:
                    await client.update_user(user_id, reason)
            """,
            id="a-parameter-list-is-owned-by-nothing",
        ),
        pytest.param(
            """
            class Sync:
                async def push(self, client):
                    for record in self.records:
                        await client.update_record(self.token, record.id)
            """,
            id="a-field-of-self-is-not-a-parent",
        ),
        pytest.param(
            """
            async def pages(client, folder):
                items = await client.list_items(folder.id)
                items += await client.list_shared_items()
                for item in items:
                    await client.delete_item(folder.id, item.id)
            """,
            id="a-list-that-is-more-than-one-read",
        ),
        pytest.param(
            """
            LIMITS = {}
            async def apply(client, plan):
                for name in plan.names:
                    await client.set_limit(name, LIMITS)
            """,
            id="a-constant-is-no-parent",
        ),
    ],
)
def test_other_loops_have_no_parent_writes(code):
    assert "parent-writes" not in [kind for kind, _ in loop_reasons(code)]


def test_explain_names_the_parent_write():
    code = textwrap.dedent("""
        async def clear(client, deployment):
            for schedule in deployment.schedules:
                await client.delete_schedule(deployment.id, schedule.id)
    """)
    text = explain_source(code, "clear.py", 3)
    assert ("every iteration writes a child of one parent (`client.delete_schedule` through "
            "`deployment.id` at line 4)") in text
