# Writes SAS .sas7bdat files with R's haven (files written by a tool other than ours).
#   Rscript make_sas.R                      good_patients.csv -> good_patients.sas7bdat (run in tests/data)
#   Rscript make_sas.R IN.csv OUT.sas7bdat  any table; *_date and date columns become SAS dates
#   Rscript make_sas.R IN.csv OUT.sas7bdat numeric-dates
#                                           dates as plain numbers (days since 1960) without a format
# make_bad_files.py calls the second and third forms for the corpus in bad/.
args <- commandArgs(trailingOnly = TRUE)
src <- if (length(args) >= 1) args[1] else "good_patients.csv"
dst <- if (length(args) >= 2) args[2] else "good_patients.sas7bdat"
numeric_dates <- length(args) >= 3 && args[3] == "numeric-dates"
df <- read.csv(src, stringsAsFactors = FALSE, na.strings = c("", "NA"),
               colClasses = c(patient_id = "character"), check.names = FALSE)
for (col in grep("(^|_)date$", names(df), value = TRUE)) {
  d <- as.Date(df[[col]])
  df[[col]] <- if (numeric_dates) as.numeric(d - as.Date("1960-01-01")) else d
}
suppressWarnings(haven::write_sas(df, dst))
