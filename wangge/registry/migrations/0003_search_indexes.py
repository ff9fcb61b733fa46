"""Indexes for person search (registry.search).

- (key, id) instead of (key) for name, given name, initials and pinyin: the search orders by
  (key, id), and PostgreSQL can then stop after `limit` rows instead of sorting every person
  who shares a common name (SQLite's indexes already end in the rowid).
- (grid, key) for the same keys, partial (unarchived persons) and covering on PostgreSQL
  (INCLUDE id): a prefix search inside a grid worker's, community's or street's grids reads
  the index alone.
- On PostgreSQL, a finer histogram (1,000 buckets) for these keys. A surname is a narrow range
  in code-point order, and with the default 100 buckets the planner guessed 42 rows for 高
  where there were 9,320 (1M persons), chose the wrong index and took 26 ms instead of 2.
"""

from django.db import migrations, models

SEARCH_KEYS = ("name", "given_name", "name_initials", "name_pinyin")


def statistics_target(target: int):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        columns = ", ".join(f"ALTER COLUMN {key} SET STATISTICS {target}" for key in SEARCH_KEYS)
        schema_editor.execute(f"ALTER TABLE registry_person {columns}")

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0002_path_prefix_index"),
        ("registry", "0002_builtin_tags"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="person",
            name="registry_pe_name_b9f5b3_idx",
        ),
        migrations.RemoveIndex(
            model_name="person",
            name="registry_pe_given_n_7bc3f2_idx",
        ),
        migrations.RemoveIndex(
            model_name="person",
            name="registry_pe_name_in_5b6190_idx",
        ),
        migrations.RemoveIndex(
            model_name="person",
            name="registry_pe_name_pi_c24dc7_idx",
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["name", "id"], name="person_name_id_idx"),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["given_name", "id"], name="person_given_name_id_idx"),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["name_initials", "id"], name="person_name_initials_id_idx"),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["name_pinyin", "id"], name="person_name_pinyin_id_idx"),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                condition=models.Q(("archived_at__isnull", True)),
                fields=["grid", "name"],
                include=("id",),
                name="person_grid_name_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                condition=models.Q(("archived_at__isnull", True)),
                fields=["grid", "given_name"],
                include=("id",),
                name="person_grid_given_name_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                condition=models.Q(("archived_at__isnull", True)),
                fields=["grid", "name_initials"],
                include=("id",),
                name="person_grid_name_initials_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                condition=models.Q(("archived_at__isnull", True)),
                fields=["grid", "name_pinyin"],
                include=("id",),
                name="person_grid_name_pinyin_idx",
            ),
        ),
        migrations.RunPython(statistics_target(1000), statistics_target(-1), elidable=False),
    ]
