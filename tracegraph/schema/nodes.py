"""Node models: the one place a graph label, its key and its properties are declared.

Both engines' DDL (schema/ddl.py) and every write (store/rows.py) are generated from these classes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, field_validator

from tracegraph.schema.keys import graph_key


class Outcome(StrEnum):
    solved = "solved"
    failed = "failed"
    infra_error = "infra_error"
    incomplete = "incomplete"
    unknown = "unknown"


class StepKind(StrEnum):
    explore = "explore"
    change = "change"


class StageLabel(StrEnum):
    environment = "environment"
    exploration = "exploration"
    implementation = "implementation"
    verification = "verification"
    finish = "finish"


class DeltaOp(StrEnum):
    read = "read"
    create = "create"
    modify = "modify"
    delete = "delete"
    execute = "execute"


class Category(StrEnum):
    environment_setup = "environment_setup"
    dependency_resolution = "dependency_resolution"
    mislocalized_edit = "mislocalized_edit"
    incorrect_hypothesis = "incorrect_hypothesis"
    verification_misinterpretation = "verification_misinterpretation"
    unproductive_looping = "unproductive_looping"
    premature_stop = "premature_stop"
    not_agent_fault = "not_agent_fault"
    undiagnosable = "undiagnosable"


class Triage(StrEnum):
    """What the artifacts say happened in a run that did not pass, decided before anyone is blamed."""

    agent_failed = "agent_failed"
    agent_timed_out = "agent_timed_out"
    agent_never_ran = "agent_never_ran"
    actions_not_recorded = "actions_not_recorded"
    infrastructure_failed = "infrastructure_failed"


BLAMEABLE = frozenset({Triage.agent_failed, Triage.agent_timed_out})
"""Triage verdicts under which the agent's steps are diagnosed and one may be the onset."""


class Node(BaseModel):
    """A graph node: one label, keyed by `id`; `INDEXED` properties get an index on both engines."""

    # allow_inf_nan: neither engine takes NaN or infinity as a parameter (FalkorDB fails to parse the query), so a
    # reward of `nan` or `1e999` is refused where the run is read, naming the field.
    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid", validate_assignment=False,
                              allow_inf_nan=False)
    LABEL: ClassVar[str]
    KEY: ClassVar[str] = "id"
    INDEXED: ClassVar[tuple[str, ...]] = ()
    PER_RUN: ClassVar[bool] = True

    id: str
    """Deterministic key: the same source always gives the same id."""

    @field_validator("id", "run_id", check_fields=False)
    @classmethod
    def _key_text(cls, value: str) -> str:
        # `run_id` is the key of the run every per-run node points to, so it is cleaned the same way.
        return graph_key(value)

    @classmethod
    def properties(cls) -> list[str]:
        return list(cls.model_fields)


class Run(Node):
    LABEL = "Run"
    INDEXED = ("run_id", "task_id", "outcome", "framework", "triage")

    run_id: str
    """Same as id; kept so every per-run label can be filtered on `run_id`."""
    name: str
    """Human-readable name (trial or file name)."""
    framework: str
    """Parser that read the run: harbor-atif, claude-code, swe-agent, mini-swe-agent, openhands, ..."""
    agent: str | None = None
    """Agent name and version as the artifacts state it."""
    model: str | None = None
    """Model the agent used."""
    task_id: str | None = None
    """Benchmark task the run attempted."""
    source: str
    """Path of the run folder or file it was read from."""
    fidelity: str = "structured"
    """Where the steps were read from: structured (the harness's trajectory), agent_log (the agent's own log, when
    the harness wrote no trajectory), terminal (commands reconstructed from a terminal recording)."""
    outcome: Outcome = Outcome.unknown
    """solved / failed / infra_error / incomplete / unknown."""
    outcome_reason: str | None = None
    """One line on how the outcome was decided."""
    triage: Triage | None = None
    """Whose failure it was, from the artifacts (null for solved runs): only agent_failed and agent_timed_out
    runs get an onset."""
    triage_reason: str | None = None
    """One line quoting the evidence the triage verdict rests on."""
    reward: float | None = None
    """Verifier reward when there is one."""
    started_at_ms: int | None = None
    """Epoch milliseconds."""
    ended_at_ms: int | None = None
    """Epoch milliseconds."""
    prompt_tokens: int | None = None
    """Total prompt tokens reported by the agent."""
    completion_tokens: int | None = None
    """Total completion tokens reported by the agent."""
    step_count: int = 0
    """Number of canonical steps (agent tool calls)."""
    verifier_output: str | None = None
    """Tail of the verifier/test output, truncated."""
    task_text: str | None = None
    """The task instruction, truncated."""
    final_message: str | None = None
    """The agent's last text message, truncated."""
    gold_json: str | None = None
    """Labels shipped inside the source (e.g. Who&When mistake_step), as JSON."""
    content_hash: str = ""
    """Hash of the artifacts the run was parsed from."""
    reader_revision: str = ""
    """Hash of the tracegraph code that read it (ingest/revision.py): a run read by other code is read again."""
    status: str = "loading"
    """loading while its subgraph is being written, loaded once complete."""
    extra_json: str | None = None
    """Free-form extras as a JSON object string."""


class Task(Node):
    LABEL = "Task"
    PER_RUN = False

    name: str
    """Task name."""


class Stage(Node):
    LABEL = "Stage"
    INDEXED = ("run_id",)

    run_id: str
    """Run this stage belongs to."""
    ordinal: int
    """1-based position in the run."""
    label: StageLabel
    """environment / exploration / implementation / verification / finish."""
    start_k: int
    """First step number in the stage."""
    end_k: int
    """Last step number in the stage."""


class Step(Node):
    LABEL = "Step"
    INDEXED = ("run_id", "k")

    run_id: str
    """Run this step belongs to."""
    k: int
    """Canonical step number: the k-th agent tool call of the run, from 1."""
    tool: str
    """Tool name as the agent called it (Bash, Read, str_replace_editor, ...)."""
    action: str
    """What was done, as one string: the command, or the tool's main argument."""
    command: str | None = None
    """Shell command when the step ran one."""
    call_id: str | None = None
    """Native tool-call id where the format has one."""
    thought: str | None = None
    """Agent's reasoning or message before the call, truncated."""
    observation: str | None = None
    """Start of the tool result."""
    observation_size: int = 0
    """Full size of the tool result in characters."""
    is_error: bool = False
    """The tool result reports an error (tool error flag, non-zero exit, traceback)."""
    exit_code: int | None = None
    """Shell exit code when known."""
    timestamp_ms: int | None = None
    """Epoch milliseconds."""
    role: str | None = None
    """Agent role in multi-agent runs (CodeR roles, Who&When agents)."""
    kind: StepKind = StepKind.explore
    """explore or change, from the step's state deltas."""
    kind_reason: str = ""
    """Why the step got its kind."""
    is_noop: bool = False
    """The action does nothing (empty command, or every part prefixed by the `:` builtin)."""
    intent: str | None = None
    """What a step that changed nothing tried to do (a no-op's command without its `:`, a failed edit's op)."""
    stage: StageLabel | None = None
    """Label of the stage holding the step."""
    stage_ordinal: int | None = None
    """Ordinal of the stage holding the step."""


class ToolCall(Node):
    LABEL = "ToolCall"
    INDEXED = ("run_id",)

    run_id: str
    """Run this call belongs to."""
    k: int
    """Step number of the call."""
    name: str
    """Tool name."""
    call_id: str | None = None
    """Native tool-call id."""
    arguments_json: str = "{}"
    """Arguments as a JSON object string."""


class Observation(Node):
    LABEL = "Observation"
    INDEXED = ("run_id",)

    run_id: str
    """Run this observation belongs to."""
    k: int
    """Step number it answers."""
    content: str = ""
    """Tool result, truncated to the ingest limit."""
    size: int = 0
    """Full size in characters before truncation."""
    truncated: bool = False
    """content was cut."""
    is_error: bool = False
    """Result reports an error."""


class File(Node):
    LABEL = "File"
    PER_RUN = False
    INDEXED = ("path",)

    path: str
    """Path as the agent saw it (absolute inside its sandbox when known)."""


class StateDelta(Node):
    LABEL = "StateDelta"
    INDEXED = ("run_id",)

    run_id: str
    """Run this delta belongs to."""
    k: int
    """Step that caused it."""
    op: DeltaOp
    """read / create / modify / delete / execute."""
    path: str | None = None
    """File touched, if any."""
    effect: str | None = None
    """Command effect that is not a file: install, service, git-commit, network, ..."""


class TestCase(Node):
    LABEL = "TestCase"
    INDEXED = ("run_id", "name", "status")
    __test__ = False  # not a pytest class

    run_id: str
    """Run the verifier checked."""
    name: str
    """Test name as the verifier reports it."""
    status: str
    """passed / failed / error / skipped."""
    message: str | None = None
    """Failure message or trace, truncated."""


class DiagnosisVerdict(BaseModel):
    """What a diagnosis concludes about one run: the Diagnosis node stores it; DiagnosisResult (the API's return
    value) adds the evidence and candidates as objects."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    run_id: str
    """Run diagnosed."""
    method: str
    """heuristic / llm / hybrid."""
    onset_k: int | None = None
    """Earliest error-critical step; null when the failure is not the agent's fault."""
    onset_stage: StageLabel | None = None
    """Stage label of the onset step."""
    category: Category
    """One of the eight failure categories of the annotation protocol."""
    confidence: float = 0.0
    """Score of the chosen onset, 0..1."""
    incorrect_ks: list[int] = []
    """Steps judged incorrect (wrong state change or false claim acted upon)."""
    unuseful_ks: list[int] = []
    """Steps that did not advance the task (repeats, loops, dead ends)."""
    chain_ks: list[int] = []
    """Onset then the steps that propagated its error, in order."""
    reasoning: str = ""
    """Short explanation citing step numbers."""
    prompt_tokens: int | None = None
    """LLM prompt tokens spent (llm/hybrid)."""
    completion_tokens: int | None = None
    """LLM completion tokens spent (llm/hybrid)."""
    cost_usd: float | None = None
    """LLM cost when litellm knows it."""
    model: str | None = None
    """LLM model string (llm/hybrid)."""
    notes: list[str] = []
    """Method remarks, e.g. a step budget that ran out."""


class Diagnosis(Node, DiagnosisVerdict):
    LABEL = "Diagnosis"
    INDEXED = ("run_id", "method")

    evidence_json: str = "[]"
    """Evidence items [{rule, steps, reason}] as JSON."""
    candidates_json: str = "[]"
    """Top ranked onset candidates [{k, score, reasons}] as JSON."""
    created_at_ms: int = 0
    """When the diagnosis was made."""


class Pattern(Node):
    LABEL = "Pattern"
    PER_RUN = False
    INDEXED = ("kind",)

    kind: str
    """set (features that co-occur in a run) or sequence (step features in order, with gaps)."""
    signature: str
    """Readable form of the pattern: its features joined by ` & ` (set) or ` > ` (sequence)."""
    features: list[str] = []
    """Its features (`cmd:pip install`, `noop`, `model:...`), in order for a sequence."""
    statement: str = ""
    """One sentence: who does what, how often in failed and solved runs, how often at the onset."""
    support: int
    """Failed runs exhibiting it."""
    support_solved: int = 0
    """Solved runs exhibiting it."""
    confidence: float | None = None
    """Share of the runs exhibiting it that failed."""
    lift: float | None = None
    """Failure rate given the pattern over the base failure rate."""
    p_value: float | None = None
    """Fisher's exact test, one-sided (over-represented in failed runs)."""
    q_value: float | None = None
    """Benjamini-Hochberg adjusted p-value over every pattern tested in the same mining."""
    explained: int = 0
    """Failed runs in which the pattern touches the onset step."""
    rank: int = 0
    """Position in the mining's ranking, from 1."""
    holders_json: str = "[]"
    """Per model and agent: failed and solved runs showing it, as JSON [{kind, name, failed, failed_runs, ...}]."""
    example_run_id: str | None = None
    """One run that exhibits it (one where it touches the onset when there is one)."""


class SchemaInfo(Node):
    LABEL = "SchemaInfo"
    PER_RUN = False

    version: int
    """SCHEMA_VERSION written by tracegraph."""


NODE_MODELS: tuple[type[Node], ...] = (
    Run, Task, Stage, Step, ToolCall, Observation, File, StateDelta, TestCase, Diagnosis, Pattern, SchemaInfo,
)
LABELS: dict[str, type[Node]] = {m.LABEL: m for m in NODE_MODELS}
