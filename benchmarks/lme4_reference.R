# Reference values for alsreview.trial.mixed: lme4 REML fits of the piecewise linear mixed
# model on simulated ALS cohorts. Writes one CSV per cohort and lme4_reference.json to
# tests/trial/data/lme4/.  Run from the repository root:
#   Rscript benchmarks/lme4_reference.R
# Cohorts are simulated here in R (not by alsreview.trial.simulate), so the test compares
# two independent pieces of code on the same numbers.
suppressPackageStartupMessages({ library(lme4); library(jsonlite) })
out <- file.path("tests", "trial", "data", "lme4")
dir.create(out, recursive = TRUE, showWarnings = FALSE)

simulate <- function(n, months, slope, sd_slope, change, sd_int, sigma, p_missing, seed,
                     integer = FALSE, floor0 = FALSE) {
  set.seed(seed)
  rows <- list()
  for (i in seq_len(n)) {
    b0 <- rnorm(1, 38, sd_int)
    b1 <- rnorm(1, slope, sd_slope)
    t <- months
    y <- b0 + b1 * t + change * pmax(t, 0) + rnorm(length(t), 0, sigma)
    if (integer) y <- round(y)
    if (floor0) y <- pmin(pmax(y, 0), 48)
    keep <- runif(length(t)) > p_missing
    keep[t == 0] <- TRUE
    rows[[i]] <- data.frame(patient_id = sprintf("P%03d", i), month = t[keep], alsfrs_r = y[keep])
  }
  do.call(rbind, rows)
}

cases <- list(
  list(id = "n30_six_visits", n = 30, months = c(-6, -3, -1, 0, 3, 6, 9, 12), slope = -1,
       sd_slope = 0.4, change = 0.5, sd_int = 5, sigma = 1.5, p_missing = 0, seed = 1),
  list(id = "n23_002_schedule_missing", n = 23, months = c(-6, -3, -1.15, 0, 3, 6, 9, 12, 18),
       slope = -0.8, sd_slope = 0.5, change = 0.3, sd_int = 4, sigma = 2, p_missing = 0.15,
       seed = 2, integer = TRUE),
  list(id = "n100_no_effect", n = 100, months = c(-6, -3, 0, 3, 6, 9, 12), slope = -1.1,
       sd_slope = 0.6, change = 0, sd_int = 6, sigma = 1.2, p_missing = 0.1, seed = 3),
  list(id = "n200_harmful", n = 200, months = c(-6, -4, -2, 0, 2, 4, 6, 8, 10, 12),
       slope = -0.6, sd_slope = 0.3, change = -0.4, sd_int = 5, sigma = 1, p_missing = 0.2,
       seed = 4, integer = TRUE, floor0 = TRUE),
  list(id = "n50_tiny_slope_variance", n = 50, months = c(-6, -3, 0, 3, 6, 9), slope = -1,
       sd_slope = 0.02, change = 0.6, sd_int = 5, sigma = 2, p_missing = 0, seed = 5),
  list(id = "n15_noisy", n = 15, months = c(-6, -3, -1, 0, 3, 6, 12), slope = -1.3,
       sd_slope = 0.7, change = 0.8, sd_int = 7, sigma = 3, p_missing = 0.1, seed = 6)
)

ref <- list()
for (cs in cases) {
  d <- do.call(simulate, cs[setdiff(names(cs), "id")])
  write.csv(d, file.path(out, paste0(cs$id, ".csv")), row.names = FALSE)
  d$month_post <- pmax(d$month, 0)
  m <- lmer(alsfrs_r ~ month + month_post + (1 + month | patient_id), data = d, REML = TRUE,
            control = lmerControl(optimizer = "bobyqa",
                                  optCtrl = list(rhobeg = 2e-3, rhoend = 2e-10, maxfun = 1e5)))
  vc <- as.data.frame(VarCorr(m))
  ref[[cs$id]] <- list(
    file = paste0(cs$id, ".csv"),
    n_obs = nrow(d),
    fixef = as.list(fixef(m)),
    se = as.list(sqrt(diag(as.matrix(vcov(m))))),
    sigma2 = sigma(m)^2,
    G = unname(as.matrix(VarCorr(m)$patient_id)[, ]),
    reml_criterion = unname(REMLcrit(m)),
    singular = isSingular(m)
  )
}
meta <- list(lme4 = as.character(packageVersion("lme4")), R = R.version.string,
             formula = "alsfrs_r ~ month + month_post + (1 + month | patient_id), REML = TRUE",
             cases = ref)
writeLines(toJSON(meta, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(out, "lme4_reference.json"))
cat("wrote", length(ref), "cases to", out, "\n")

# Per-patient least-squares slopes and paired tests (the 002_* method) on two of the cohorts:
# pre = months <= 0; window 0-w = 0 <= month <= w + 0.5 and a visit at or after w - 0.5.
slope_ref <- list()
for (id in c("n23_002_schedule_missing", "n30_six_visits")) {
  d <- read.csv(file.path(out, paste0(id, ".csv")))
  ids <- unique(d$patient_id)
  sl <- function(t, y) if (length(unique(t)) < 2) NA else unname(coef(lm(y ~ t))[2])
  pre <- sapply(ids, function(p) { s <- d[d$patient_id == p & d$month <= 0, ]; sl(s$month, s$alsfrs_r) })
  windows <- list()
  for (w in c(3, 6, 9, 12)) {
    post <- sapply(ids, function(p) {
      s <- d[d$patient_id == p & d$month >= 0 & d$month <= w + 0.5, ]
      if (nrow(s) == 0 || max(s$month) < w - 0.5) NA else sl(s$month, s$alsfrs_r)
    })
    for (grp in c("all", "progressors")) {
      keep <- !is.na(pre) & !is.na(post)
      if (grp == "progressors") keep <- keep & pre < -1 / 3 - 1e-9  # exactly 1 per 3 months is not "more than"
      if (sum(keep) < 3) next
      tt <- t.test(post[keep], pre[keep], paired = TRUE)
      wt <- wilcox.test(post[keep], pre[keep], paired = TRUE)
      windows[[paste0(grp, "_", w)]] <- list(
        window = w, group = grp, n = sum(keep), t = unname(tt$statistic),
        p_t = tt$p.value, mean_difference = unname(tt$estimate),
        V = unname(wt$statistic), p_wilcoxon = wt$p.value)
    }
  }
  slope_ref[[id]] <- list(file = paste0(id, ".csv"), pre = as.list(setNames(pre, ids)),
                          tests = windows)
}
writeLines(toJSON(slope_ref, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           file.path(out, "slopes_reference.json"))
cat("wrote slopes_reference.json\n")
