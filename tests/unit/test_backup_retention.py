"""Which backups `procedura backup prune --keep-daily N --keep-monthly M` keeps."""
from procedura_cli.backup_retention import kept

IDS = ["20261001T020000000000Z", "20261015T020000000000Z", "20261130T020000000000Z",
       "20261204T020000000000Z", "20261205T020000000000Z", "20261205T140000000000Z",
       "20261206T020000000000Z"]


def test_the_newest_of_each_of_the_last_days_and_months_are_kept():
    assert kept(IDS, daily=2, monthly=0) == {"20261206T020000000000Z",
                                             "20261205T140000000000Z"}
    assert kept(IDS, daily=0, monthly=3) == {"20261206T020000000000Z",
                                             "20261130T020000000000Z",
                                             "20261015T020000000000Z"}
    assert kept(IDS, daily=1, monthly=2) == {"20261206T020000000000Z",
                                             "20261130T020000000000Z"}


def test_nothing_asked_keeps_nothing_and_more_than_there_is_keeps_each_period():
    assert kept(IDS, daily=0, monthly=0) == set()
    assert kept(IDS, daily=30, monthly=0) == set(IDS) - {"20261205T020000000000Z"}
