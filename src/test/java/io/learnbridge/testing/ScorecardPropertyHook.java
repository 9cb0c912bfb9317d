package io.learnbridge.testing;

import java.util.Map;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * The scorecard for jqwik properties marked {@link ReliabilityScenario}: outcome and the number of
 * generated inputs checked ("bad inputs tried"). Registered for every property through
 * {@code META-INF/services/net.jqwik.api.lifecycle.LifecycleHook}.
 */
public final class ScorecardPropertyHook implements AroundPropertyHook {

    @Override
    public PropagationMode propagateTo() {
        return PropagationMode.ALL_DESCENDANTS;
    }

    @Override
    public boolean appliesTo(java.util.Optional<java.lang.reflect.AnnotatedElement> element) {
        return true;
    }

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        PropertyExecutionResult result = property.execute();
        ReliabilityScenario scenario = context.targetMethod().getAnnotation(ReliabilityScenario.class);
        if (scenario != null) {
            String outcome = switch (result.status()) {
                case SUCCESSFUL -> "pass";
                case FAILED -> "FAIL";
                case ABORTED -> "not run";
            };
            Scorecard.record(context.containerClass().getSimpleName() + "." + context.targetMethod().getName(), scenario.value(), outcome,
                    result.throwable().orElse(null), Map.of("bad inputs tried", (long) result.countTries()));
        }
        return result;
    }
}
