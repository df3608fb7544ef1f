"""The Q-network (as Stable-Baselines3's ``QNetwork``/``DQNPolicy``): an MLP from the state
to the two actions' Q-values, its target copy, Adam, and one gradient step on the Huber loss.

torch is imported here only when a function runs (:func:`load_torch`).
"""

from __future__ import annotations

from collections.abc import Sequence
import numpy as np

from genoff.deciders.dqn.buffer import ReplayBatch

__all__ = ["load_torch", "mlp", "torch_device", "QNetworks"]


def load_torch():
    """The torch module, or ``ModuleNotFoundError`` saying how to install it."""
    try:
        import torch
    except ModuleNotFoundError as e:  # pragma: no cover - torch is in the llm extra
        raise ModuleNotFoundError(
            "the DQN decider needs PyTorch: pip install torch (or genoff[llm])"
        ) from e
    return torch


def mlp(torch, in_dim: int, hidden: Sequence[int], out_dim: int):
    """``Linear`` layers of sizes ``in_dim -> *hidden -> out_dim`` with ReLU between."""
    layers: list = []
    prev = in_dim
    for h in hidden:
        layers += [torch.nn.Linear(prev, h), torch.nn.ReLU()]
        prev = h
    layers.append(torch.nn.Linear(prev, out_dim))
    return torch.nn.Sequential(*layers)


def torch_device(torch, device: str):
    """``torch.device(device)``, or ``ValueError`` for a name torch does not know or CUDA
    requested where it is not available."""
    try:
        resolved = torch.device(device)
    except (RuntimeError, ValueError) as e:
        raise ValueError(f"device must be a torch device such as 'cpu' or 'cuda', "
                         f"got {device!r}") from e
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available")
    return resolved


class QNetworks:
    """The Q-network, its target network (a frozen copy) and Adam on the Q-network, on the
    torch device named ``device`` (:func:`torch_device`; the ``torch.device`` is
    :attr:`device`).

    The initial weights are drawn from ``init_seed`` under a forked torch RNG, so the global
    torch RNG is untouched.
    """

    def __init__(self, obs_dim: int, hidden: Sequence[int], device: str, *, lr: float,
                 init_seed: int) -> None:
        torch = load_torch()
        self.torch = torch
        self.device = torch_device(torch, device)
        self.obs_dim = obs_dim
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(init_seed))
            self.q_net = mlp(torch, obs_dim, hidden, 2).to(device)
            self.target_net = mlp(torch, obs_dim, hidden, 2).to(device)
        self.target_net.load_state_dict(self.q_net.state_dict())
        for p in self.target_net.parameters():
            p.requires_grad_(False)
        self.optimizer = torch.optim.Adam(self.q_net.parameters(), lr=lr)

    def q_values(self, obs: np.ndarray) -> np.ndarray:
        """Q-values [n, 2] of observations [n, obs_dim] (one batched forward pass)."""
        torch = self.torch
        x = torch.as_tensor(np.asarray(obs, dtype=np.float32).reshape(-1, self.obs_dim),
                            device=self.device)
        with torch.inference_mode():
            return self.q_net(x).cpu().numpy()

    def greedy_action(self, obs: np.ndarray) -> int:
        """The greedy action of one observation (0 local, 1 offload; ties stay at the
        edge)."""
        torch = self.torch
        x = torch.from_numpy(np.asarray(obs, dtype=np.float32).reshape(1, self.obs_dim))
        with torch.inference_mode():
            q = self.q_net(x.to(self.device))[0]
        return int(q[1] > q[0])

    def sync_target(self) -> None:
        """Copy the Q-network's weights into the target network."""
        self.target_net.load_state_dict(self.q_net.state_dict())

    def gradient_step(self, batch: ReplayBatch, *, gamma: float, huber_delta: float,
                      grad_clip: float | None) -> float:
        """One Adam step on the Huber loss between Q(s, a) and the target ``r``
        (``gamma = 0``) or ``r + gamma * (1 - done) * max_a' Q_target(s', a')``; returns the
        loss."""
        torch, device = self.torch, self.device
        obs = torch.from_numpy(batch.obs).to(device)
        act = torch.from_numpy(batch.action).to(device)
        rew = torch.from_numpy(batch.reward).to(device)
        q = self.q_net(obs).gather(1, act.unsqueeze(1)).squeeze(1)
        if gamma > 0.0:
            with torch.no_grad():
                nxt = torch.from_numpy(batch.next_obs).to(device)
                done = torch.from_numpy(batch.done).to(device)
                target = rew + gamma * (1.0 - done) * self.target_net(nxt).max(1).values
        else:
            target = rew
        loss = torch.nn.functional.huber_loss(q, target, delta=huber_delta)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.q_net.parameters(), grad_clip)
        self.optimizer.step()
        return float(loss.detach())
