"""The test suite's strategies: mentorflow's own, shipped in `mentorflow.testing`."""

from __future__ import annotations

from mentorflow.testing import Command, command_sequences, commands, deadline_rules, lifecycles

__all__ = ["Command", "command_sequences", "commands", "deadline_rules", "lifecycles"]
