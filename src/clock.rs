//! The one place that reads the calendar: deadlines are dates in Europe/Oslo.

use chrono::NaiveDate;

/// Today's date in Norway.
pub fn today_oslo() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Oslo)
        .date_naive()
}
