"""What is a statement? The console decides from DuckDB's own parser, tokenizer and syntax tree of
the whole text, so its judgement agrees with what DuckDB executes, whatever the comments, strings,
dollar quotes and quoted names around it look like.

The property test's oracle is DuckDB itself: an in-memory database where `secret_rows()` (a table
function, so the console refuses it) reads `hidden_rows`. Whatever text hypothesis puts together,
either the console refuses it, or what the console runs behaves exactly as DuckDB runs the text
itself, and that never reads `hidden_rows`.
"""

import re

import duckdb
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from handoff import console, db
from handoff.errors import HandoffError

PEOPLE = [{"person_id": "P1", "name": "Ada", "team": "sales", "role": "sdr", "region": "NA"}]
SENTINEL = "S3NT1NEL"  # the value behind secret_rows(); nothing the generator writes contains it
SCANNED = "memory.main.hidden_rows"  # how a plan names the hidden table when it reads it


@pytest.fixture(scope="module")
def hand_db(tmp_path_factory):
    from tests.fixtures import write_db

    path = write_db(tmp_path_factory.mktemp("statements") / "statements.duckdb", {"people": PEOPLE})
    yield path
    db.close_connections()


@pytest.fixture(scope="module")
def oracle():
    con = duckdb.connect(":memory:")
    con.execute(f"create table hidden_rows as select '{SENTINEL}' as secret")
    con.execute("create macro secret_rows() as table select secret from hidden_rows")
    yield con
    con.close()


def outcome(con, text: str) -> tuple[str, str]:
    """What DuckDB does with `text`, statement by statement: ("error", message) or ("rows", output);
    plans are reduced to their operators' names and what they scan (timings differ run to run)."""
    shown = []
    try:
        for statement in duckdb.extract_statements(text):
            cur = con.cursor()
            try:
                rows = cur.execute(statement).fetchall()
            finally:
                cur.close()
            if statement.type == duckdb.StatementType.EXPLAIN:
                plan = "\n".join(str(row[-1]) for row in rows)
                rows = re.findall(r"╭─ ([A-Za-z_ ]+?) ─", plan) + re.findall(r"Table: (\S+)", plan)
            shown.append(repr(rows))
    except duckdb.Error as exc:
        return "error", type(exc).__name__
    return "rows", "\n".join(shown)


def reads_the_secret(result: tuple[str, str]) -> bool:
    return result[0] == "rows" and (SENTINEL in result[1] or SCANNED in result[1])


def one_read(text: str) -> bool:
    """DuckDB's parser sees exactly one SELECT or EXPLAIN statement."""
    try:
        statements = duckdb.extract_statements(text)
    except duckdb.Error:
        return False
    return len(statements) == 1 and statements[0].type.name in ("SELECT", "EXPLAIN")


def judge(text: str, hand_db):
    try:
        return console.check(text, db_path=hand_db)
    except HandoffError:
        return None


# ---------------------------------------------------------------------------------------------
# Shapes of text: whatever a comment, string or name can hide, including other contexts' delimiters.

NOISE = [
    "*/",
    "/*",
    "/* */",
    "--",
    "'",
    "''",
    '"',
    "$$",
    "$q$",
    ";",
    "\n",
    " ",
    "x",
    "1",
    ",",
    "(",
    ")",
    "\\",
    "e'",
    "*",
    "/",
    "-",
    "explain",
    "analyze",
    "select 1",
    "select secret from secret_rows()",
    "explain analyze select 1 --",
    "; select secret from secret_rows()",
]
PLAIN = [" ", "x", "1", "select 2", "a, b", "\n"]
# Half the time delimiters of other contexts, half plain words (so more of the text parses).
noise = st.one_of(
    st.lists(st.sampled_from(NOISE), max_size=8), st.lists(st.sampled_from(PLAIN), max_size=4)
).map("".join)


def block_comment(inner):
    return st.tuples(noise, inner, noise).map(lambda parts: f"/*{parts[0]}{parts[1]}{parts[2]}*/")


comments = st.recursive(
    st.one_of(
        noise.map(lambda text: "--" + text.replace("\n", " ") + "\n"), noise.map(lambda text: f"/*{text}*/")
    ),
    block_comment,
    max_leaves=4,
)
pads = st.lists(st.one_of(st.sampled_from([" ", "\n", "\t"]), comments), max_size=4).map(
    lambda parts: " ".join(parts) + " "
)
literals = st.one_of(
    st.integers(0, 99).map(str),
    noise.map(lambda text: "'" + text.replace("'", "''") + "'"),
    noise.map(lambda text: "$$" + text.replace("$", "") + "$$"),
    noise.map(lambda text: "$q$" + text.replace("$", "") + "$q$"),
)
names = noise.filter(bool).map(lambda text: '"' + text.replace('"', '""') + '"')
columns = st.tuples(literals, st.one_of(st.just(""), names.map(lambda name: f" as {name}")), pads).map(
    "".join
)
benign = st.tuples(st.just("select "), pads, st.lists(columns, min_size=1, max_size=3).map(", ".join)).map(
    "".join
)
hostile = st.sampled_from(
    [
        "select secret from secret_rows()",
        "from secret_rows()",
        "select * from secret_rows ( )",
        "select 1 as x, (select max(secret) from secret_rows()) as y",
    ]
)
heads = st.sampled_from(
    ["", "explain ", "explain analyze ", "EXPLAIN ANALYSE ", "explain/**/", "explain\n/*a*/analyze "]
)
statements = st.tuples(heads, pads, st.one_of(benign, hostile)).map("".join)
texts = st.tuples(
    pads,
    statements,
    pads,
    st.one_of(st.just(""), st.just(";"), st.tuples(st.just(";"), pads, statements).map("".join)),
    pads,
).map("".join)

ISSUE_15 = "/* /* */ explain analyze select 1 -- */ explain analyze select secret from secret_rows()"


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(text=ISSUE_15)
@example(text="/* /* */ explain select 1 -- */ explain select * from secret_rows()")
@example(text="/* a /* b */ c */ explain /* -- */ analyze select secret from secret_rows()")
@example(text="-- /*\nexplain analyze select '*/ select 1' as a")
@example(text='explain select $$ */ -- \' $$ as "x""--" /* ; */')
@example(
    text="/*--\n/*/  select secret from secret_rows()--*/*/\n ; explain  select  0  "
)  # an empty statement first
@given(text=texts)
def test_what_the_console_runs_is_what_duckdb_runs_and_never_what_it_refuses(text, hand_db, oracle):
    checked = judge(text, hand_db)
    as_written = outcome(oracle, text)
    event("accepted" if checked else "refused")
    event(f"DuckDB: {as_written[0]}{', reads the secret' if reads_the_secret(as_written) else ''}")
    if checked is None:
        # A refusal: DuckDB would fail, read the secret, or it is not one read.
        assert as_written[0] == "error" or reads_the_secret(as_written) or not one_read(text), text
        return
    assert not reads_the_secret(as_written), f"accepted, and DuckDB reads the hidden table: {text!r}"
    assert outcome(oracle, checked.sql) == as_written, f"runs something else than {text!r}: {checked.sql!r}"


@pytest.mark.parametrize(
    "statement",
    [
        "/* /* */ explain analyze select 1 -- */ explain analyze select pg_sleep(6)",
        "/* /* */ explain select 1 -- */ explain select * from read_csv('/etc/passwd')",
        "/* /* /* */ */ explain analyze select 1 -- */ explain analyze select setseed(0.1)",
        "-- /*\nexplain analyze select pg_sleep(6) -- */",
    ],
)
def test_the_statement_behind_nested_comments_is_the_one_judged(hand_db, statement):
    with pytest.raises(console.ConsoleRefused, match=r"pg_sleep\(\) sleeps|read_csv\(\)|setseed\(\)"):
        console.check(statement, db_path=hand_db)


def test_explain_runs_exactly_the_statement_it_checked(hand_db):
    checked = console.check(
        "/* c /* nested */ */ EXPLAIN -- why\n ANALYZE /* x */ select 42 as answer -- done", db_path=hand_db
    )
    assert (checked.kind, checked.sql) == ("EXPLAIN", "explain analyze select 42 as answer -- done")
    assert console.check("select 1 /* ; */", db_path=hand_db).sql == "select 1 /* ; */"


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("explain (format json) select 1", "EXPLAIN takes a plain SELECT"),
        ("explain analyze", "does not parse"),
        ("explain delete from people", "EXPLAIN of a DELETE statement"),
        ("explain select 1; select 2", "one statement at a time"),
    ],
)
def test_other_forms_of_explain_are_refused(hand_db, statement, reason):
    with pytest.raises(console.ConsoleRefused, match=re.escape(reason)):
        console.check(statement, db_path=hand_db)
