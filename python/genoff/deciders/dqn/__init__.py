"""DQN baseline (paper Sec. III, baseline 3) in PyTorch: state eq. (8), action local/offload,
reward eq. (10).

:class:`DQNDecider` is a deep Q-network learner with an MLP Q-network, a uniform replay
buffer, a target network, linearly decaying epsilon-greedy exploration, the Huber loss, Adam
and gradient-norm clipping. One learner trains in two ways:

* :meth:`DQNDecider.train` runs the ordinary RL loop on a Gymnasium environment
  (``"genoff/Offload-v0"``, :class:`genoff.envs.offload.OffloadEnv`): one request per environment
  step, exactly what any RL library (e.g. Stable-Baselines3) sees;
* online inside :func:`genoff.experiments.run` through the :class:`~genoff.deciders.Decider`
  interface: ``decide`` scores all requests of a step in one batched forward pass and
  explores epsilon-greedily, ``observe`` stores the step's transitions and trains.

Both paths build the state with :func:`genoff.sim.features.observation`, so the network sees
identical features in either.

**Discount.** Offloading is a contextual bandit per request: the reward of eq. (10) is
immediate and the next request does not depend on the decision (the radio allocation does
not depend on decisions, and the next request is drawn independently). ``gamma = 0`` is
therefore the right default (the Q-value is the expected reward of the action, and no
bootstrapping noise enters the targets); ``gamma > 0`` is allowed (the "next state" is the
next request in the environment's order) and needs the target network. Rewards are
multiplied by ``reward_scale`` (default ``1 / T_target`` of the scenario) before they enter
the loss, which keeps the Huber loss in its quadratic range; decisions are unaffected.

**Reproducibility.** ``seed`` fixes the initial weights (drawn under a forked torch RNG, so
the global torch RNG is untouched) and the numpy generator that drives exploration and
replay sampling; :meth:`~DQNDecider.reset` re-seeds that generator (``reset()`` without a
seed restores the constructor's stream). On CPU with the same thread count
(``torch.set_num_threads`` is respected, never changed) the same seed gives identical
weights.

**Checkpoints.** :meth:`DQNDecider.save` writes ``NAME.pt`` (tensors only: networks,
optimizer state, replay buffer; read back with ``torch.load(..., weights_only=True)``) and
``NAME.json`` (hyperparameters, counters, the exploration generator's state and the
SHA-256 of the ``.pt``), each atomically; :meth:`DQNDecider.load` restores a decider that
makes identical decisions and resumes training identically.

**Layout** (as Stable-Baselines3 splits its DQN): :mod:`.config` (:class:`DQNConfig`, the
validated hyper-parameters and the epsilon schedule), :mod:`.network` (the MLP Q-network,
its target network, Adam and the gradient step), :mod:`.buffer` (the replay buffer),
:mod:`.decider` (:class:`DQNDecider`: policy, training schedule, the Decider interface),
:mod:`.train` (the Gymnasium loop, :func:`evaluate_policy`, :func:`online_curve`),
:mod:`.checkpoint` (the ``.pt`` + ``.json`` pair and its checks).

torch is imported only when a :class:`DQNDecider` is created or loaded; ``import
genoff.deciders`` never imports it (nor does ``import genoff.deciders.dqn``, which also leaves
Gymnasium and the compiled core to the code paths that use them).
"""

from genoff.deciders.dqn.buffer import ReplayBuffer
from genoff.deciders.dqn.config import DQNConfig
from genoff.deciders.dqn.decider import DQNDecider
from genoff.deciders.dqn.train import evaluate_policy, online_curve, oracle_policy_fraction

__all__ = ["DQNDecider", "DQNConfig", "ReplayBuffer", "evaluate_policy",
           "oracle_policy_fraction", "online_curve"]
