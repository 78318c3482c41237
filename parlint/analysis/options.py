"""Configuration keys of the analysis (shared by every rule that reads the analysis).

Each list is a set of `fnmatch` patterns (case-sensitive). A receiver pattern is matched
against the receiver's name (the last part of its access path without leading underscores,
`self._conn` -> `conn`) and against its type's qualified name and last component when the type
is visible from an annotation, a constructor or a connect call (`asyncpg.Connection`,
`Connection`). An ordered-call pattern is matched against the call's method name
(`sleep`) and its qualified name (`asyncio.sleep`). The `extend-...` keys add to the defaults;
the plain keys replace them.
"""

from __future__ import annotations

from parlint.types import Option

DEFAULT_SERIAL_RECEIVERS: tuple[str, ...] = (
    # Database connections, cursors, transactions and sessions.
    "conn", "connection", "*_conn", "*_connection", "conn_*", "connection_*", "dbconn",
    "cursor", "cur", "*_cursor", "tx", "txn", "transaction", "*_transaction", "*_tx",
    "db", "*_db", "db_*", "database", "session", "*_session", "session_*", "uow",
    "asyncpg.Connection", "asyncpg.connection.Connection", "asyncpg.connect",
    "asyncpg.transaction.Transaction", "asyncpg.Transaction",
    "*AsyncSession", "*AsyncConnection", "*.async_session*", "sqlalchemy.*Session",
    "aiosqlite.Connection", "aiosqlite.connect", "aiosqlite.Cursor", "aiosqlite.core.*",
    "psycopg.AsyncConnection", "psycopg.AsyncCursor", "aiomysql.*", "aiopg.*",
    # Streams, sockets, websockets, files, processes.
    "ws", "websocket", "*_ws", "*_websocket", "websocket_*", "socket", "sock", "*_socket",
    "*_sock", "stream", "*_stream", "reader", "writer", "*_reader", "*_writer",
    "channel", "chan", "*_channel", "pipe", "*_pipe", "file", "f", "fp", "fh", "*_file",
    "fileobj", "proc", "process", "*_process", "stdin", "stdout", "stderr", "serial", "port",
    "transport", "*_transport", "protocol", "browser", "page", "tab", "driver", "shell",
    "websockets.*", "asyncio.StreamReader", "asyncio.StreamWriter", "asyncio.open_connection",
    "trio.*Stream", "trio.abc.*", "anyio.abc.*", "anyio.*Stream*", "aiofiles.*",
    "asyncio.subprocess.*", "asyncio.create_subprocess_*",
    # Hardware endpoints: an embedded device, hub or bridge serves one request at a time.
    "device", "*_device", "hub", "*_hub", "bridge", "*_bridge", "controller", "*_controller",
    "router", "*_router", "gateway", "*_gateway", "bulb", "*_bulb", "camera", "*_camera",
    "projector", "tv", "inverter", "thermostat", "printer", "plc", "modbus*", "*_modbus",
    "ble*", "*_ble", "gatt*", "bluetooth*",
    # Synchronisation primitives and queues.
    "lock", "*_lock", "lock_*", "mutex", "sem", "semaphore", "*_semaphore", "cond",
    "condition", "*_condition", "event", "*_event", "queue", "*_queue", "q", "barrier",
    "*.Lock", "*.RLock", "*.Condition", "*.Event", "*.Queue", "*.Semaphore",
    "*.BoundedSemaphore", "*.CapacityLimiter", "*.LifoQueue", "*.PriorityQueue",
    "*.MemoryObjectSendStream", "*.MemoryObjectReceiveStream",
)

DEFAULT_CONCURRENT_SAFE_RECEIVERS: tuple[str, ...] = (
    "aiohttp.ClientSession", "aiohttp.client.ClientSession", "ClientSession",
    "httpx.AsyncClient", "AsyncClient", "*Pool", "*.create_pool", "*.pool.Pool",
    "pool", "*_pool", "pool_*", "engine", "*_engine", "aiobotocore.*", "*.create_client",
    "redis.asyncio.*", "aioredis.*", "motor.*", "*.AsyncIOMotor*",
)

DEFAULT_ORDERED_CALLS: tuple[str, ...] = (
    # Pacing and rate limits.
    "sleep", "*.sleep", "sleep_*", "*.sleep_until", "checkpoint", "*.checkpoint",
    # Locks, events, conditions, queues, barriers.
    "acquire", "release", "wait", "wait_*", "*_wait", "ready", "*_ready", "until_*",
    "reopen", "resume", "pause", "notify", "notify_all", "put", "put_nowait",
    "get_nowait", "join", "task_done", "block_till_done", "async_block_till_done",
    # Message and stream protocols.
    "send", "send_*", "sendall", "sendto", "recv", "recv_*", "receive", "receive_*",
    "write", "writelines", "write_*", "drain", "flush", "close", "aclose", "readline",
    "readexactly", "readuntil", "read_until", "readuntil", "feed_*",
    # Transactions.
    "begin", "begin_*", "commit", "rollback", "savepoint", "release_savepoint", "execute",
    "executemany", "executescript", "fetchone", "fetchmany", "fetchall",
    # Lifecycle and sessions.
    "connect", "reconnect", "disconnect", "login", "logout", "log_in", "log_out", "auth",
    "authenticate", "authorize", "handshake", "shutdown", "start", "stop", "restart",
    "startup", "open", "setup", "teardown", "initialize", "init", "prepare", "ping",
    "async_setup*", "async_unload*", "async_start", "async_stop", "async_shutdown",
    "subscribe", "unsubscribe", "ack", "nack", "reject", "cancel", "terminate", "kill",
    # Guards: a check that raises must keep the calls after it from running.
    "*check*", "*validat*", "*verif*", "*ensure*", "*require*", "*assert*", "*authori*",
    "*authent*", "*permission*", "*guard*",
    # Credentials: a token or login call stores what the calls after it use.
    "*token*", "*Token*", "*login*", "*Login*", "*credential*", "*Credential*",
    # Iterators advance: two `anext(it)` are ordered.
    "anext", "next", "__anext__", "asend", "athrow",
    "asyncio.wait", "asyncio.wait_for", "asyncio.shield", "asyncio.gather",
    "asyncio.as_completed", "asyncio.timeout", "trio.*", "anyio.*",
)

ANALYSIS_OPTIONS: tuple[Option, ...] = (
    Option(
        "serial-receivers",
        "str-list",
        DEFAULT_SERIAL_RECEIVERS,
        "Receivers that serve one operation at a time (names or types, as patterns): two "
        "awaits through the same one are never grouped.",
        owner="analysis",
    ),
    Option(
        "extend-serial-receivers",
        "str-list",
        (),
        "Patterns added to `serial-receivers`.",
        owner="analysis",
    ),
    Option(
        "concurrent-safe-receivers",
        "str-list",
        DEFAULT_CONCURRENT_SAFE_RECEIVERS,
        "Receivers that serve concurrent operations (names or types, as patterns); they win "
        "over `serial-receivers`.",
        owner="analysis",
    ),
    Option(
        "extend-concurrent-safe-receivers",
        "str-list",
        (),
        "Patterns added to `concurrent-safe-receivers`.",
        owner="analysis",
    ),
    Option(
        "ordered-calls",
        "str-list",
        DEFAULT_ORDERED_CALLS,
        "Calls that are ordered operations (pacing, locks, protocol steps, transactions, "
        "lifecycle), as patterns of method or qualified names: nothing is moved across them.",
        owner="analysis",
    ),
    Option(
        "extend-ordered-calls",
        "str-list",
        (),
        "Patterns added to `ordered-calls`.",
        owner="analysis",
    ),
)
