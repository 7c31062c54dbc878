"""The pure engine: schema, mapping, rules, resolution. No I/O; stdlib and attrs only.

A plain list of imports, so that each engine module appends its own names.
"""

from trackmap._engine._document import Document as Document
from trackmap._engine._document import DocumentKind as DocumentKind
from trackmap._engine._document import Line as Line
from trackmap._engine._mapping import Binding as Binding
from trackmap._engine._mapping import ByName as ByName
from trackmap._engine._mapping import ByTable as ByTable
from trackmap._engine._mapping import FieldSpec as FieldSpec
from trackmap._engine._mapping import Level as Level
from trackmap._engine._mapping import OnUnmapped as OnUnmapped
from trackmap._engine._mapping import TableRow as TableRow
from trackmap._engine._mapping import TrackingMapping as TrackingMapping
from trackmap._engine._names import is_blank as is_blank
from trackmap._engine._names import normalise as normalise
from trackmap._engine._resolve import fingerprint as fingerprint
from trackmap._engine._resolve import resolve as resolve
from trackmap._engine._resolve import resolve_batch as resolve_batch
from trackmap._engine._results import Assignment as Assignment
from trackmap._engine._results import BatchResolution as BatchResolution
from trackmap._engine._results import Explanation as Explanation
from trackmap._engine._results import OptionToCreate as OptionToCreate
from trackmap._engine._results import Problem as Problem
from trackmap._engine._results import Resolution as Resolution
from trackmap._engine._results import ResolvedLine as ResolvedLine
from trackmap._engine._results import Rule as Rule
from trackmap._engine._results import Severity as Severity
from trackmap._engine._results import Violation as Violation
from trackmap._engine._rules import CompiledMapping as CompiledMapping
from trackmap._engine._rules import check_mapping as check_mapping
from trackmap._engine._rules import compile_mapping as compile_mapping
from trackmap._engine._schema import Capabilities as Capabilities
from trackmap._engine._schema import NameCollision as NameCollision
from trackmap._engine._schema import Status as Status
from trackmap._engine._schema import TrackingCategory as TrackingCategory
from trackmap._engine._schema import TrackingOption as TrackingOption
from trackmap._engine._schema import TrackingSchema as TrackingSchema
