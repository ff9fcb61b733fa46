import pytest

from wangge.core.crypto import decrypt
from wangge.registry.identity import ID_AAD, id_birth_date, id_gender, id_number_problem
from wangge.registry.models import Person
from wangge.registry.tests.factories import make_household_with_members


@pytest.mark.django_db
def test_household_of_three_has_valid_encrypted_ids(street):
    household = make_household_with_members(street.grid_a1)
    members = list(Person.objects.filter(household=household).order_by("id"))
    assert [p.name for p in members] == ["张伟", "李娜", "张小明"]
    for person in members:
        number = decrypt(person.id_number_encrypted or b"", aad=ID_AAD)
        assert id_number_problem(number) is None
        assert id_birth_date(number) == person.birth_date
        assert id_gender(number) == person.gender
        assert person.path == street.grid_a1.path
