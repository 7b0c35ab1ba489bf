"""Tests of ``clienteling bench`` (issue 10): the data set, the parts and the command."""
