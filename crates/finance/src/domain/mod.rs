//! The finance domain: pure, synchronous algorithms over national and tenant rules.
//!
//! Nothing here touches the database, the clock or GraphQL: every function takes the
//! rules ([`crate::rules::NationalRules`]), the dates and the amounts it needs, so the
//! legal arithmetic (deadlines, interest, instalments, allocation) can be tested by hand
//! computation and reused by persistence, GraphQL and batch jobs alike.

pub mod allocation;
pub mod calendar;
pub mod interest;
pub mod schedule;

pub use allocation::{
    Allocation, AllocationError, Indication, InstallmentAllocation, OpenCost, OpenInstallment,
    RatioInterest, allocate,
};
pub use calendar::{Calendar, easter_sunday};
pub use interest::{Interest, InterestError, InterestPeriod, InterestRegime, interest};
pub use schedule::{
    Installment, MonthDay, MonthDayError, Remainder, ScheduleError, ScheduleRule, round_tax, split,
};
