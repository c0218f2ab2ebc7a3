# Reference figures from R's `survey` package for the fixtures of tests/data/r_reference/
# (dev-only: CI never runs R; tests/test_r_reference.py compares our code to the JSON).
#
#   Rscript scripts/r_reference/reference.R      # or: make r-reference
#
# Needs R and the survey package (Debian: apt-get install r-base-core r-cran-survey).
# Writes tests/data/r_reference.json, with the versions of R and survey that computed it.
# Numbers are written with 17 significant digits, so that they read back bit for bit.

suppressPackageStartupMessages(library(survey))

# A stratum with a single respondent adds no variance, as in results/estimation.py.
options(survey.lonely.psu = "certainty")

fixtures <- "tests/data/r_reference"
output <- "tests/data/r_reference.json"
if (!dir.exists(fixtures)) stop("Run this script from the repository's root (make r-reference).")

d <- read.csv(file.path(fixtures, "sample.csv"), stringsAsFactors = FALSE)
frame <- read.csv(file.path(fixtures, "frame.csv"), stringsAsFactors = FALSE)
margins <- read.csv(file.path(fixtures, "margins.csv"), stringsAsFactors = FALSE)

indicators <- c("usage", "rare", "nsp", "ouvert")
domains <- c("all", "dom_nord", "dom_urbain", "dom_petites", "dom_moyennes")
# ("score", Fuller's interval, fails in its root search on these domains: left out.)
interval_types <- c("mean", "beta", "xlogit", "asin")
z <- qnorm(0.975)

region_pop <- aggregate(N ~ region, data = frame, FUN = sum)
names(region_pop) <- c("region", "Freq")
urbain_pop <- margins[margins$margin == "urbain", c("category", "N")]
names(urbain_pop) <- c("urbain", "Freq")
stratum_pop <- aggregate(N ~ stratum, data = frame, FUN = sum)
names(stratum_pop) <- c("stratum", "Freq")
raking_control <- list(maxit = 1000, epsilon = 1e-14)

# A raking that does not converge stops the script (rake itself only warns).
rake_to_convergence <- function(...) {
  withCallingHandlers(rake(..., control = raking_control),
                      warning = function(w) stop(conditionMessage(w)))
}

# Drawn without replacement within strata (finite-population correction), or, for the
# with-replacement variance that effective sizes are computed from, the same without fpc.
design_of <- function(data, weights, fpc = TRUE) {
  data$w <- weights
  if (fpc) {
    svydesign(ids = ~1, strata = ~stratum, fpc = ~N_h, weights = ~w, data = data)
  } else {
    svydesign(ids = ~1, strata = ~stratum, weights = ~w, data = data)
  }
}

domain_of <- function(design, domain) {
  if (domain == "all") design else eval(bquote(subset(design, .(as.name(domain)) == 1)))
}

# --- Weights -------------------------------------------------------------------------------

design <- design_of(d, d$weight)

# Post-stratification on the régions, from the design weights.
post_stratified <- postStratify(design, ~region, region_pop)

# Raking on two margins (régions, urbain), from the design weights, to convergence.
raked <- rake_to_convergence(design, list(~region, ~urbain), list(region_pop, urbain_pop))

# results.weighting.calibrate: raking on the strata and the régions, the respondents of a
# stratum answered in full keeping a weight of 1. R has no « fixed » units, so the others are
# raked alone, to the régions' totals less the fixed units they hold.
census <- d$stratum %in% names(which(table(d$stratum) == tapply(d$N_h, d$stratum, max)))
free <- design_of(d[!census, ], d$weight[!census])
free_regions <- region_pop
held <- table(factor(d$region[census], levels = region_pop$region))
free_regions$Freq <- region_pop$Freq - as.vector(held[region_pop$region])
free_strata <- stratum_pop[stratum_pop$stratum %in% d$stratum[!census], ]
free_raked <- rake_to_convergence(free, list(~stratum, ~region), list(free_strata, free_regions))
calibrated_weights <- rep(1, nrow(d))
calibrated_weights[!census] <- weights(free_raked)

weight_sets <- list(
  design = d$weight,
  post_stratified = weights(post_stratified),
  raked = weights(raked),
  calibrated = calibrated_weights
)
# R's own calibrated designs, whose variance takes the calibration into account (the
# residuals of the weights' fit on the margins). For `calibrated`, the whole design raked on
# the strata and the régions (its census units then move a little off 1: only its standard
# errors are used, to compare with ours).
calibrated_designs <- list(
  post_stratified = post_stratified,
  raked = raked,
  calibrated = rake_to_convergence(design, list(~stratum, ~region), list(stratum_pop, region_pop))
)

# --- Figures of one domain -------------------------------------------------------------------

# Our median rule (the smallest answer whose cumulative weight share reaches the level),
# which is survey's qrule "math"; below any share it is the smallest answer.
quantile_at <- function(x, w, level) {
  if (level <= 0) return(min(x[w > 0]))
  survey:::qrule_math(x, w, min(level, 1))
}

proportion_figures <- function(sub, sub_wr, variable) {
  formula <- as.formula(paste0("~", variable))
  indicator <- as.formula(paste0("~I(", variable, " == 1)"))
  m <- svymean(formula, sub, deff = TRUE)
  m_wr <- svymean(formula, sub_wr, deff = "replace")
  p <- unname(coef(m))
  variance <- unname(vcov(m)[1, 1])
  logit <- svyciprop(indicator, sub, method = "logit")
  logit_normal <- svyciprop(indicator, sub, method = "logit", df = Inf)
  xlogit <- svyciprop(indicator, sub, method = "xlogit")
  xlogit_normal <- svyciprop(indicator, sub, method = "xlogit", df = Inf)
  beta <- svyciprop(indicator, sub, method = "beta")
  # The effective size svyciprop(method = "beta") computes before its Clopper-Pearson step.
  n_eff <- p * (1 - p) / variance * (qt(0.025, nrow(sub) - 1) / qt(0.025, degf(sub)))^2
  list(
    mean = p,
    se = unname(SE(m)[1]),
    variance = variance,
    deff = unname(deff(m)[1]),
    variance_with_replacement = unname(vcov(m_wr)[1, 1]),
    deff_with_replacement = unname(deff(m_wr)[1]),
    logit = as.vector(attr(logit, "ci")),
    logit_estimate = as.vector(logit),
    logit_normal = as.vector(attr(logit_normal, "ci")),
    xlogit = as.vector(attr(xlogit, "ci")),
    xlogit_normal = as.vector(attr(xlogit_normal, "ci")),
    beta = as.vector(attr(beta, "ci")),
    beta_effective_n = n_eff
  )
}

number_figures <- function(sub, sub_wr, variable) {
  formula <- as.formula(paste0("~", variable))
  m <- svymean(formula, sub)
  x <- sub$variables[[variable]]
  w <- weights(sub, "sampling")
  median <- as.vector(coef(svyquantile(formula, sub, 0.5, ci = FALSE))[1])
  intervals <- list()
  for (type in interval_types) {
    for (df in c("normal", "degf")) {
      # A bound beyond [0, 1] on the scale of shares is NaN in R: null in the JSON.
      q <- svyquantile(formula, sub, 0.5, ci = TRUE, interval.type = type,
                       df = if (df == "normal") Inf else NULL)
      intervals[[paste(type, df, sep = "_")]] <- as.vector(q[[1]][1, 2:3])
    }
  }
  # The share of answers at or below the median, its standard error and its Korn-Graubard
  # interval; Woodruff centred on the level 1/2 (results.statistics.median) with the
  # half-widths of that interval, read back with survey's "math" rule.
  at_or_below <- as.formula(paste0("~I(", variable, " <= ", median, ")"))
  below <- svymean(at_or_below, sub)
  share <- unname(coef(below)[2])
  beta <- as.vector(attr(svyciprop(at_or_below, sub, method = "beta"), "ci"))
  list(
    mean = unname(coef(m)[1]),
    se = unname(SE(m)[1]),
    variance_with_replacement = unname(vcov(svymean(formula, sub_wr))[1, 1]),
    t_interval = as.vector(confint(m, df = degf(sub))),
    median = median,
    share_at_or_below_median = share,
    se_share_at_or_below_median = unname(SE(below)[2]),
    beta_share_at_or_below_median = beta,
    woodruff_beta_at_half = c(quantile_at(x, w, 0.5 - (share - beta[1])),
                              quantile_at(x, w, 0.5 + (beta[2] - share))),
    svyquantile = intervals
  )
}

domain_figures <- function(weights, domain, calibrated = NULL) {
  sub <- domain_of(design_of(d, weights), domain)
  sub_wr <- domain_of(design_of(d, weights, fpc = FALSE), domain)
  figures <- list(
    respondents = sum(weights(sub, "sampling") > 0),
    design_rows = nrow(sub),
    degf = degf(sub),
    weight_total = sum(weights(sub, "sampling"))
  )
  for (variable in indicators) figures[[variable]] <- proportion_figures(sub, sub_wr, variable)
  figures[["agents"]] <- number_figures(sub, sub_wr, "agents")
  if (!is.null(calibrated)) {
    sub_calibrated <- domain_of(calibrated, domain)
    figures[["calibrated_se"]] <- lapply(
      setNames(c(indicators, "agents"), c(indicators, "agents")),
      function(v) unname(SE(svymean(as.formula(paste0("~", v)), sub_calibrated))[1])
    )
  }
  figures
}

estimates <- list()
for (set in names(weight_sets)) {
  estimates[[set]] <- setNames(
    lapply(domains, function(domain) {
      domain_figures(weight_sets[[set]], domain, calibrated_designs[[set]])
    }),
    domains
  )
}

# --- JSON, without a dependency --------------------------------------------------------------

json <- function(x, indent = "") {
  inner <- paste0(indent, "  ")
  if (is.list(x) && !is.null(names(x))) {
    items <- vapply(names(x), function(k) {
      paste0(inner, "\"", k, "\": ", json(x[[k]], inner))
    }, "")
    return(paste0("{\n", paste(items, collapse = ",\n"), "\n", indent, "}"))
  }
  scalar <- function(v) {
    if (is.character(v)) return(paste0("\"", gsub("\"", "\\\\\"", v), "\""))
    if (is.logical(v)) return(if (is.na(v)) "null" else tolower(as.character(v)))
    if (!is.finite(v)) return("null")
    if (v == round(v) && abs(v) < 1e15) return(format(v, scientific = FALSE))
    sprintf("%.17g", v)
  }
  if (is.list(x) || length(x) != 1) {
    values <- vapply(x, function(v) if (is.list(v)) json(v, inner) else scalar(v), "")
    return(paste0("[", paste(values, collapse = ", "), "]"))
  }
  scalar(x)
}

result <- list(
  generated_by = "scripts/r_reference/reference.R",
  r_version = R.version.string,
  survey_version = as.character(packageVersion("survey")),
  options = list(survey.lonely.psu = getOption("survey.lonely.psu")),
  design = "svydesign(ids = ~1, strata = ~stratum, fpc = ~N_h, weights = ~w)",
  notes = list(
    weights = paste(
      "design: N_h / n_h; post_stratified: postStratify(design, ~region); raked:",
      "rake(design, list(~region, ~urbain)); calibrated: results.weighting.calibrate",
      "reproduced with rake(~stratum, ~region) on the respondents outside the census stratum"),
    estimates = paste(
      "Per set of weights and domain, figures of svydesign(...) with those weights taken as",
      "fixed, the domain by subset(); *_with_replacement: the same design without fpc",
      "(deff = 'replace'); calibrated_se: SE(svymean) of R's calibrated design",
      "(postStratify / rake object), whose variance counts the calibration")
  ),
  ids = d$id,
  weights = weight_sets,
  estimates = estimates
)
writeLines(json(result), output)
cat("Wrote", output, "with R", R.version.string, "and survey",
    as.character(packageVersion("survey")), "\n")
