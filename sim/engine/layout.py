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
S_REF, S_PRICE, S_QUALITY, S_SOCIAL, S_INNOV, S_IMIT, S_SPEND, S_DISCONNECT = 0, 1, 2, 3, 4, 5, 6, 7
N_SEGMENT_COLS = 8

# operator table columns
O_ACTIVE, O_BRAND, O_SERVICE, O_REACH, O_CONTACTS, O_HYPE, O_NEWEST_GEN = 0, 1, 2, 3, 4, 5, 6
O_FAILURE = 7  # monthly probability that a customer suffers a service failure
N_OPERATOR_COLS = 8

# plan table columns
P_OPERATOR, P_FEE, P_ONNET, P_CONTRACT, P_ETF, P_SUBSIDY, P_GEN, P_OFFERED, P_BUNDLE = range(9)
P_PREPAID = 9  # 1.0 for a prepaid plan (its own disconnection hazard)
P_ETF_DECLINING = 10  # 1.0: the early-termination fee falls with the months left
P_ETF_SHARE = 11  # share of the remaining months' fees due on leaving a contract
N_PLAN_COLS = 12

# integer accumulators per (operator, segment), one row per month; their output names are
# declared in sim.metrics (COUNTS, SUMS), not here
C_SUBS, C_CHURN, C_ADDS, C_ENTRANTS, C_CONSIDER, C_MIGRATIONS = 0, 1, 2, 3, 4, 5
C_GEN2, C_GEN3, C_GEN4, C_GEN5 = 6, 7, 8, 9  # subscribers by handset generation
# churn as operators report it: C_CHURN = switches out + disconnections (left the market);
# C_ADDS = switches in + entrants; C_PORTED = switches out that kept their number
C_SWITCH_OUT, C_SWITCH_IN, C_DISCONNECT, C_PORTED = 10, 11, 12, 13
C_BUYOUT = 14  # switches out inside a contract (the customer bought the contract out)
C_FAILURES = 15  # service failures customers suffered (dropped calls, billing errors)
C_WINBACKS = 16  # switches in of the operator's own recent leavers, won back by its offer
N_COUNTS = 17

# float accumulators per (operator, segment)
F_REVENUE, F_SUBSIDY, F_RETENTION, F_SAT, F_L_ECON, F_L_KNOW, F_L_EMO = 0, 1, 2, 3, 4, 5, 6
F_BUYOUT = 7  # buy-outs paid to the operator left: early-termination fee + unrecovered subsidy
N_SUMS = 8

# cohorts: stock, churn and gross adds per operator by contract status, tenure band,
# bundle and loyalty tier (one accumulator row each; a customer is in one cohort of each
# dimension). Tiers take rows K_TIER.. (0: no tier, k: the operator's tier k).
K_CONTRACT, K_TENURE, K_BUNDLE, K_TIER = 0, 3, 8, 10  # first row of each dimension
CONTRACT_COHORTS = ("in contract", "month-to-month", "prepaid")
TENURE_EDGES = (6, 12, 24, 48)  # months: bands 0-5, 6-11, 12-23, 24-47, 48+
TENURE_COHORTS = ("0-5 months", "6-11 months", "12-23 months", "24-47 months", "48+ months")
BUNDLE_COHORTS = ("no bundle", "household bundle")
X_SUBS, X_CHURN, X_ADDS = 0, 1, 2  # cohort columns: stock, churners, gross adds
N_COHORT_COLS = 3

CHUNK = 16384  # subscribers per accumulator chunk: fixed, so float sums never depend on threads

# Retention programme table (MarketTables.retention, (J, N_RETENTION_COLS)): budget per
# month (agent money), discount, offer months, value targeting (1.0) or risk (0.0),
# budget share, value months, then the win-back offer to recent leavers: how many months
# after leaving a former customer is approached, and the offer's utility bonus.
R_BUDGET, R_DISCOUNT, R_OFFER_MONTHS, R_BY_VALUE, R_SHARE, R_VALUE_MONTHS = 0, 1, 2, 3, 4, 5
R_WINBACK_MONTHS, R_WINBACK_BONUS = 6, 7
N_RETENTION_COLS = 8
