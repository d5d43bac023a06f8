"""Column layouts of the small tables the kernels read, and of their accumulators.

Kernels take a handful of 2-D float tables instead of dozens of scalar arguments; these
names say which column is which. numba treats module-level ints as compile-time
constants, so indexing by name costs nothing. (Behaviour coefficients are not a table:
kernels read them by name from a record, see :mod:`sim.market.tables`.)
"""

NO_OPERATOR = 255  # operator id of a subscriber slot not yet active (market entry capacity)
MAX_GENERATION = 5  # generations are 2..5; tables indexed by generation have 6 columns
ADOPT_RANKS = 65536  # adoption rank is stored as uint16 k, meaning rank k / ADOPT_RANKS in [0, 1)

# segment table columns
S_REF, S_PRICE, S_QUALITY, S_SOCIAL, S_INNOV, S_IMIT, S_SPEND = 0, 1, 2, 3, 4, 5, 6
N_SEGMENT_COLS = 7

# operator table columns
O_ACTIVE, O_BRAND, O_SERVICE, O_REACH, O_CONTACTS, O_HYPE, O_NEWEST_GEN = 0, 1, 2, 3, 4, 5, 6
N_OPERATOR_COLS = 7

# plan table columns
P_OPERATOR, P_FEE, P_ONNET, P_CONTRACT, P_ETF, P_SUBSIDY, P_GEN, P_OFFERED, P_BUNDLE = (
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
)
N_PLAN_COLS = 9

# integer accumulators per (operator, segment), one row per month; their output names are
# declared in sim.metrics (COUNTS, SUMS), not here
C_SUBS, C_CHURN, C_ADDS, C_ENTRANTS, C_CONSIDER, C_MIGRATIONS = 0, 1, 2, 3, 4, 5
C_GEN2, C_GEN3, C_GEN4, C_GEN5 = 6, 7, 8, 9  # subscribers by handset generation
N_COUNTS = 10

# float accumulators per (operator, segment)
F_REVENUE, F_SUBSIDY, F_RETENTION, F_SAT, F_L_ECON, F_L_KNOW, F_L_EMO = 0, 1, 2, 3, 4, 5, 6
N_SUMS = 7

CHUNK = 16384  # subscribers per accumulator chunk: fixed, so float sums never depend on threads
