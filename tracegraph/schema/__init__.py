"""The graph model: node labels, relationship types, DDL for both engines, and the schema version."""

from tracegraph.schema.edges import REL_SPECS, Edge, RelType
from tracegraph.schema.nodes import (
    BLAMEABLE, LABELS, NODE_MODELS, Category, DeltaOp, Diagnosis, File, Node, Observation, Outcome, Pattern, Run,
    SchemaInfo, Stage, StageLabel, StateDelta, Step, StepKind, Task, TestCase, ToolCall, Triage,
)
from tracegraph.schema.trace import Dependency, DependencyKind, Repeat, RunTrace

SCHEMA_VERSION = 1
"""Bumped whenever a label, key or relationship changes meaning; stored in the graph as SchemaInfo."""

__all__ = [
    "SCHEMA_VERSION", "REL_SPECS", "Edge", "RelType", "LABELS", "NODE_MODELS", "Category", "DeltaOp", "Diagnosis",
    "File", "Node", "Observation", "Outcome", "Pattern", "Run", "SchemaInfo", "Stage", "StageLabel", "StateDelta",
    "Step", "StepKind", "Task", "TestCase", "ToolCall", "Triage", "BLAMEABLE", "Dependency", "DependencyKind",
    "Repeat", "RunTrace",
]
