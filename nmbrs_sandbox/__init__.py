"""A stateful stand-in for the Nmbrs SOAP API v3, for tests, demos and local development."""

from __future__ import annotations

from nmbrs_sandbox.chaos import FAULT_KINDS, Knobs
from nmbrs_sandbox.sandbox import Sandbox
from nmbrs_sandbox.scenario import Scenario, ScenarioError

__all__ = ["FAULT_KINDS", "Knobs", "Sandbox", "Scenario", "ScenarioError"]
