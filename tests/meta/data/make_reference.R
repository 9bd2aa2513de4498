# Extra metafor reference values for tests/meta (beyond ../shared/reference/metafor):
# escalc measures and zero-cell options not in the shared files, subgroup analysis,
# a two-moderator meta-regression with a factor, Knapp-Hartung meta-regression, predict()
# with new moderator values, and the exact REML root for the convergence-fallback test.
# Run from the repository root:  Rscript tests/meta/data/make_reference.R
# (metafor 3.8-1, metadat; writes tests/meta/data/metafor_extra.json)
suppressMessages({library(metafor); library(jsonlite)})
out <- list(source = paste("metafor", packageVersion("metafor")))

# --- escalc ----------------------------------------------------------------------------
xi <- c(0, 3, 10, 7, 12); ni <- c(15, 20, 10, 30, 25)
esc <- list()
for (m in c("PR", "PLN", "PLO", "PAS")) {
  e <- escalc(measure = m, xi = xi, ni = ni)
  esc[[m]] <- list(args = list(xi = xi, ni = ni), yi = as.numeric(e$yi), vi = as.numeric(e$vi))
}
ai <- c(0, 4, 6, 0, 12); n1i <- c(20, 25, 30, 15, 40)
ci <- c(3, 0, 9, 0, 15); n2i <- c(22, 24, 31, 14, 38)
for (m in c("RR", "OR", "RD")) {
  for (to in c("only0", "all", "if0all", "none")) {
    e <- suppressWarnings(escalc(measure = m, ai = ai, n1i = n1i, ci = ci, n2i = n2i, to = to))
    esc[[paste0(m, "_", to)]] <- list(args = list(ai = ai, n1i = n1i, ci = ci, n2i = n2i, to = to),
      yi = as.numeric(e$yi), vi = as.numeric(e$vi))
  }
}
ri <- c(0.12, -0.35, 0.5, 0.81, 0.02); nr <- c(40, 25, 60, 18, 120)
for (m in c("COR", "ZCOR")) {
  e <- escalc(measure = m, ri = ri, ni = nr)
  esc[[m]] <- list(args = list(ri = ri, ni = nr), yi = as.numeric(e$yi), vi = as.numeric(e$vi))
}
mi <- c(1.2, 0.8, 1.5); sdi <- c(0.5, 0.4, 0.9); nm <- c(10, 22, 15)
e <- escalc(measure = "MN", mi = mi, sdi = sdi, ni = nm)
esc[["MN"]] <- list(args = list(mi = mi, sdi = sdi, ni = nm), yi = as.numeric(e$yi), vi = as.numeric(e$vi))
out$escalc <- esc

# --- subgroup analysis (dat.bcg by allocation) -------------------------------------------
dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
groups <- unique(dat$alloc)
sub <- list()
est <- c(); sei <- c()
for (g in groups) {
  r <- rma(yi, vi, data = dat, subset = alloc == g)
  sub[[g]] <- list(estimate = c(r$b), se = r$se, tau2 = r$tau2, k = r$k, QE = r$QE)
  est <- c(est, c(r$b)); sei <- c(sei, r$se)
}
between <- rma(est, sei = sei, mods = ~ factor(groups), method = "FE")
out$subgroups <- list(yi = as.numeric(dat$yi), vi = as.numeric(dat$vi), alloc = dat$alloc,
  groups = sub, Q_between = between$QM, df = between$QMdf[1], pval = between$QMp)

# --- meta-regression: continuous + factor moderator, z and knha; predict with newmods ----
mr <- list()
for (test in c("z", "knha")) {
  r <- rma(yi, vi, mods = ~ ablat + factor(alloc), data = dat, test = test)
  p <- predict(r, newmods = rbind(c(20, 0, 0), c(40, 1, 0)))
  mr[[test]] <- list(coef_names = rownames(r$b), coef = c(r$b), se = r$se, pval = r$pval,
    ci_lb = r$ci.lb, ci_ub = r$ci.ub, QM = r$QM, QMp = r$QMp, tau2 = r$tau2,
    se_tau2 = r$se.tau2, I2 = r$I2, H2 = r$H2, R2 = r$R2, QE = r$QE, QEp = r$QEp,
    predict = list(newmods = list(c(20, 0, 0), c(40, 1, 0)), pred = p$pred, se = p$se,
      ci_lb = p$ci.lb, ci_ub = p$ci.ub, pi_lb = p$pi.lb, pi_ub = p$pi.ub))
}
out$metareg <- list(ablat = dat$ablat, alloc = dat$alloc, fits = mr)

# --- exact REML / ML / EB roots (tight control) for the bracketing-fallback test ----------
exact <- list()
for (m in c("REML", "ML", "EB")) {
  r <- rma(yi, vi, data = dat, method = m, control = list(threshold = 1e-13, maxiter = 10000))
  exact[[m]] <- r$tau2
}
out$exact_tau2 <- exact

# --- a data set (k = 20, simulated) on which metafor's REML Fisher scoring oscillates ----
# rma() stops with "Fisher scoring algorithm did not converge"; the root it misses is found
# with step halving (stepadj = 0.5) run to a tight threshold.
nc <- read.csv("tests/meta/data/fisher_nonconvergence.csv", header = FALSE)
default <- tryCatch({rma(nc[, 1], nc[, 2]); "converged"}, error = function(e) conditionMessage(e))
r <- rma(nc[, 1], nc[, 2], control = list(stepadj = 0.5, threshold = 1e-13, maxiter = 10000))
out$nonconvergence <- list(default_message = default, tau2 = r$tau2, estimate = c(r$b),
  se = r$se, se_tau2 = r$se.tau2, I2 = r$I2)

write_json(out, "tests/meta/data/metafor_extra.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
cat("wrote tests/meta/data/metafor_extra.json\n")
