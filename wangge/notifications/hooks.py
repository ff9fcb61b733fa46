"""Hooks that upper apps fill in their AppConfig.ready(), so notifications imports none of them.

ADDRESS_RESOLVERS turns an `address_ref` ("<name>:<id>") into a phone number or e-mail address at
delivery time, e.g. cases registers "case_reporter" for a hotline caller who has no account. A
resolver returns "" when there is no address (any more): the row is then given up, not retried.
"""

from collections.abc import Callable

# name -> resolver(id, channel) -> address
AddressResolver = Callable[[str, str], str]
ADDRESS_RESOLVERS: dict[str, AddressResolver] = {}


def address_resolver_register(name: str, resolver: AddressResolver) -> None:
    ADDRESS_RESOLVERS[name] = resolver


def address_ref(name: str, object_id: object) -> str:
    return f"{name}:{object_id}"
