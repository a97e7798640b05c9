"""`python -m tubewiki`: the console script's entry, the warm runner first."""

from tubewiki.handoff import main

main()
