import socket

from ordo.devnet.ports import free_port_block, port_is_free


def test_a_block_of_ports_is_free_and_contiguous() -> None:
    base = free_port_block(4)
    assert all(port_is_free("127.0.0.1", base + offset) for offset in range(4))


def test_a_held_port_is_not_free() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        assert not port_is_free("127.0.0.1", holder.getsockname()[1])
