"""`npre` commands that are not pipeline stages: fetching data, one-off sampling, bulk
extraction, scoring, and printing reports and profiles."""
