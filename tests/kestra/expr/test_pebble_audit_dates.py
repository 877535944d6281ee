"""Kestra's date filters, class by class: AbstractDate's named formats (every one, fractions of
seconds included), DateFilter, DateAddFilter and the timestamp filters."""

from __future__ import annotations

import datetime as dt

import pytest

from lab.kestra.expr import ExpressionError, render

PARIS = "Europe/Paris"
ZONED = {
    "z": dt.datetime(2013, 9, 8, 16, 19, 12, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1)))
}
WHOLE = {"z": dt.datetime(2013, 9, 8, 16, 19, 12, tzinfo=dt.timezone(dt.timedelta(hours=1)))}
MILLI = {
    "z": dt.datetime(2013, 9, 8, 16, 19, 12, 120000, tzinfo=dt.timezone(dt.timedelta(hours=1)))
}


def fmt(name: str, variables: dict = ZONED, zone: str = PARIS) -> str:
    return render(f"{{{{ z | date('{name}', timeZone='{zone}') }}}}", variables)


# AbstractDate.FORMATTERS: Kestra's own patterns, then Java's DateTimeFormatter.ISO_* constants
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("iso", "2013-09-08T17:19:12.123456+02:00"),
        ("iso_milli", "2013-09-08T17:19:12.123+02:00"),
        ("iso_sec", "2013-09-08T17:19:12+02:00"),
        ("sql", "2013-09-08 17:19:12.123456"),
        ("sql_milli", "2013-09-08 17:19:12.123"),
        ("sql_sec", "2013-09-08 17:19:12"),
        ("iso_local_date", "2013-09-08"),
        ("iso_date", "2013-09-08+02:00"),
        ("iso_local_time", "17:19:12.123456"),
        ("iso_time", "17:19:12.123456+02:00"),
        ("iso_offset_time", "17:19:12.123456+02:00"),
        ("iso_local_date_time", "2013-09-08T17:19:12.123456"),
        ("iso_date_time", "2013-09-08T17:19:12.123456+02:00[Europe/Paris]"),
        ("iso_zoned_date_time", "2013-09-08T17:19:12.123456+02:00[Europe/Paris]"),
        ("iso_instant", "2013-09-08T15:19:12.123456Z"),
        ("iso_ordinal_date", "2013-251+02:00"),
        ("iso_week_date", "2013-W36-7+02:00"),
        ("rfc_1123_date_time", "Sun, 8 Sep 2013 17:19:12 +0200"),
    ],
)
def test_every_named_format(name, expected):
    assert fmt(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("iso_local_time", "17:19:12"),  # appendFraction(0, 9): no fraction when zero
        ("iso_zoned_date_time", "2013-09-08T17:19:12+02:00[Europe/Paris]"),
        ("iso_instant", "2013-09-08T15:19:12Z"),
        ("iso", "2013-09-08T17:19:12.000000+02:00"),  # a fixed SSSSSS pattern keeps its zeros
    ],
)
def test_iso_formatters_print_no_fraction_for_whole_seconds(name, expected):
    assert fmt(name, WHOLE) == expected


def test_iso_formatters_print_only_the_fraction_digits_needed():
    # ISO_LOCAL_TIME: appendFraction strips trailing zeros; ISO_INSTANT: groups of three digits
    assert fmt("iso_local_time", MILLI) == "17:19:12.12"
    assert fmt("iso_instant", MILLI) == "2013-09-08T15:19:12.120Z"


def test_zoned_formats_print_no_region_for_an_offset_zone():
    # ISO_ZONED_DATE_TIME: the [region] section is optional and skipped for a ZoneOffset
    assert fmt("iso_zoned_date_time", zone="+02:00") == "2013-09-08T17:19:12.123456+02:00"
    assert fmt("iso_zoned_date_time", zone="UTC") == "2013-09-08T15:19:12.123456Z[UTC]"


def test_epoch_millis_in_a_zoned_format():
    # DateFilterTest.timestampDateFormat: epoch millis, iso_zoned_date_time
    template = '{{ 1378653552123 | date(format="iso_zoned_date_time", timeZone="Europe/Paris") }}'
    assert render(template, {}) == "2013-09-08T17:19:12.123+02:00[Europe/Paris]"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("short", "9/8/13, 5:19\u202fPM"),
        ("medium", "Sep 8, 2013, 5:19:12\u202fPM"),
        ("long", "September 8, 2013 at 5:19:12\u202fPM CEST"),
    ],
)
def test_localized_styles_in_english(name, expected):
    # AbstractDate.STYLES -> DateTimeFormatter.ofLocalizedDateTime (CLDR, narrow space before PM)
    assert fmt(name) == expected


def test_full_style_in_utc_and_refused_elsewhere():
    # FormatStyle.FULL prints the zone's long name; only UTC's is known here
    assert fmt("full", zone="UTC") == (
        "Sunday, September 8, 2013 at 3:19:12\u202fPM Coordinated Universal Time"
    )
    with pytest.raises(ExpressionError, match="full"):
        fmt("full")


def test_a_name_that_is_no_format_is_read_as_a_pattern_and_refused():
    # AbstractDate.formatter: unknown names go to DateTimeFormatter.ofPattern, which rejects 'i'
    with pytest.raises(ExpressionError, match="Unknown pattern letter: i"):
        fmt("iso_offset_date_time")


def test_existing_format_may_be_an_iso_formatter():
    # AbstractDate.convert: ZonedDateTime.parse(value, formatter(existingFormat))
    template = "{{ t | date(existingFormat='iso_zoned_date_time', timeZone='UTC') }}"
    text = "2013-09-08T17:19:12+02:00[Europe/Paris]"
    assert render(template, {"t": text}) == "2013-09-08T15:19:12.000000Z"


def test_locale_dependent_pattern_letters_are_refused_not_guessed():
    # DateTimeFormatter.ofPattern: Y and w follow the JVM locale's WeekFields
    with pytest.raises(ExpressionError, match="letter 'Y'.*not supported"):
        render("{{ z | date(\"YYYY-'W'ww\", timeZone='UTC') }}", ZONED)


def test_quarter_pattern_letter():
    # DateTimeFormatter.ofPattern: Q (quarter of year)
    assert render("{{ z | date(\"yyyy-'Q'Q\", timeZone='UTC') }}", ZONED) == "2013-Q3"


def test_a_non_english_locale_is_refused_where_names_are_written():
    # AbstractDate: `locale` translates month and day names; numbers print the same in any locale
    assert render("{{ z | date('dd/MM/yyyy', locale='fr') }}", ZONED) == "08/09/2013"
    assert render("{{ z | date('d MMMM', locale='en_GB') }}", ZONED) == "8 September"
    with pytest.raises(ExpressionError, match="English only"):
        render("{{ z | date('d MMMM', locale='fr') }}", ZONED)


def test_date_add_unit_is_the_exact_chrono_unit_name():
    # DateAddFilter: ChronoUnit.valueOf(unit), case-sensitive
    assert render("{{ z | dateAdd(-1, 'DAYS', timeZone='Europe/Paris') }}", ZONED) == (
        "2013-09-07T17:19:12.123456+02:00"
    )
    assert render("{{ z | dateAdd(1, 'MILLENNIA', format='yyyy') }}", ZONED) == "3013"
    with pytest.raises(
        ExpressionError, match="No enum constant java.time.temporal.ChronoUnit.days"
    ):
        render("{{ z | dateAdd(1, 'days') }}", ZONED)


def test_date_add_keeps_the_wall_clock_across_a_dst_change_for_days():
    # ZonedDateTime.plus(1, DAYS) keeps 12:00 local; plus(24, HOURS) moves with the offset
    paris = {"z": dt.datetime(2024, 3, 30, 12, 0, tzinfo=dt.timezone.utc)}
    days = "{{ z | dateAdd(1, 'DAYS', timeZone='Europe/Paris', format='iso_sec') }}"
    hours = "{{ z | dateAdd(24, 'HOURS', timeZone='Europe/Paris', format='iso_sec') }}"
    assert render(days, paris) == "2024-03-31T13:00:00+02:00"
    assert render(hours, paris) == "2024-03-31T14:00:00+02:00"


def test_without_a_time_zone_a_date_prints_in_the_servers_zone():
    # AbstractDate.format: formatter.withZone(timeZone or ZoneId.systemDefault()); the server is UTC
    assert render("{{ z | date('iso_sec') }}", ZONED) == "2013-09-08T15:19:12Z"
    assert render("{{ '2013-09-08T17:19:12+02:00' | date('HH:mm') }}", {}) == "15:19"
    assert render("{{ z | dateAdd(1, 'HOURS', format='HH:mm') }}", ZONED) == "16:19"
