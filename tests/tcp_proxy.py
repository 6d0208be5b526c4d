"""A small asyncio TCP proxy to put between the service and a real server and break on purpose.

- `cut()`: every open connection is reset and new ones are reset as soon as they connect
  (the server looks gone: errors come at once).
- `stall()`: nothing moves any more in either direction and new connections hang (a black
  hole: only timeouts end the wait).
- `restore()`: traffic flows again for new connections; connections that were stalled are
  reset, as after a network partition that outlived them.
"""

import asyncio
import contextlib


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.mode = "up"
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.BaseTransport] = set()
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> "TcpProxy":
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        self._reset_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def cut(self) -> None:
        self.mode = "cut"
        self._reset_all()

    def stall(self) -> None:
        self.mode = "stall"
        self._flowing.clear()

    def restore(self) -> None:
        if self.mode == "stall":
            self._reset_all()
        self.mode = "up"
        self._flowing.set()

    def _reset_all(self) -> None:
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            if self.mode == "cut":
                writer.transport.abort()
                return
            self._transports.add(writer.transport)
            await self._flowing.wait()  # stalled: the client hangs in its connect
            if writer.transport.is_closing():
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(*self.target)
            except OSError:
                writer.transport.abort()
                return
            self._transports.add(up_writer.transport)
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self._tasks.discard(task)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self._flowing.wait()
                if writer.transport.is_closing():
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.transport.abort()
            self._transports.discard(writer.transport)
